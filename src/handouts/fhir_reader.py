"""FHIR R4 ``Appointment`` resources (JSON), read into bookings.

A ``Bundle`` (type collection, searchset or transaction) holds the appointments with the
``Patient`` and ``Practitioner`` they refer to; a lone ``Appointment`` is read too, its
patient named by the reference's ``display``. Both are validated by ``fhir.resources``
(its R4B models, which read R4 Appointment and Patient). The id is ``fhir:<Appointment.id>``
(else its first identifier's value); services come from serviceType, appointmentType or
description, whichever names our treatments.
"""

from __future__ import annotations

import json
from datetime import tzinfo
from pathlib import Path
from typing import Any

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from .booking_values import BookingValues, ExportRows, checked_booking
from .errors import HandoutsError
from .service_names import ServiceNames

KIND = "fhir"
BUNDLE_TYPES = ("collection", "searchset", "transaction")
BOOKED_STATUSES = ("booked", "pending", "arrived", "fulfilled", "checked-in")
CANCELLED_STATUSES = ("cancelled", "noshow", "entered-in-error")
LABELS = {
    "id": "Appointment.id",
    "patient_name": "Patient.name",
    "treatments": "Appointment.serviceType",
    "email": "Patient.telecom",
    "practitioner": "Practitioner",
    "language": "Patient.communication",
}


def read_fhir(
    data: bytes, name: str, names: ServiceNames, extra_font: Path | None, zone: tzinfo | None
) -> ExportRows:
    """The appointments in the FHIR JSON ``data`` (from ``name``); HandoutsError if none can be."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise HandoutsError(f"{name}: not JSON text ({error})") from None
    kind = document.get("resourceType") if isinstance(document, dict) else None
    model = {"Bundle": Bundle, "Appointment": Appointment}.get(kind)
    if model is None:
        raise HandoutsError(
            f"{name}: a FHIR {kind or 'document without resourceType'}; give a Bundle of "
            "Appointment and Patient resources, or one Appointment"
        )
    try:
        resource = model.model_validate(document)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise HandoutsError(
            f"{name}: not a valid FHIR {kind} ({where}: {problem['msg']})"
        ) from None
    if kind == "Bundle" and resource.type not in BUNDLE_TYPES:
        raise HandoutsError(
            f"{name}: a Bundle of type {resource.type}; give a {', '.join(BUNDLE_TYPES)} Bundle"
        )
    given = resource.entry or [] if kind == "Bundle" else []
    entries = [entry for entry in given if entry.resource is not None]
    known = _by_reference(entries)
    appointments = [resource] if kind == "Appointment" else []
    appointments += [e.resource for e in entries if e.resource.get_resource_type() == "Appointment"]
    found = ExportRows()
    for number, appointment in enumerate(appointments, 1):
        source_id = appointment.id or next(
            (given.value for given in appointment.identifier or [] if given.value), None
        )
        try:
            values = _values(appointment, source_id, known, names, zone, f"{KIND}:{name}")
            booking = checked_booking(values, LABELS, names, extra_font, "Appointment")
            found.bookings.append(booking)
        except HandoutsError as error:
            found.reject(f"Appointment {source_id or f'#{number}'}", error)
    return found


def _by_reference(entries: list[Any]) -> dict[str, Any]:
    """Each resource in the Bundle by its fullUrl and by ``Type/id``."""
    known = {}
    for entry in entries:
        if entry.fullUrl:
            known[entry.fullUrl] = entry.resource
        if entry.resource.id:
            known[f"{entry.resource.get_resource_type()}/{entry.resource.id}"] = entry.resource
    return known


def _values(
    appointment: Appointment,
    source_id: str | None,
    known: dict[str, Any],
    names: ServiceNames,
    zone: tzinfo | None,
    source: str,
) -> BookingValues:
    if not source_id:
        raise HandoutsError(
            "Appointment.id: missing, and no identifier; every Appointment needs one, to be "
            "updated by a later import"
        )
    status = appointment.status
    if status not in BOOKED_STATUSES + CANCELLED_STATUSES:
        raise HandoutsError(
            f"Appointment.status: {status} is not booked yet; it is imported once it is booked"
        )
    if appointment.start is None:
        raise HandoutsError("Appointment.start: missing; a booked Appointment needs its start")
    start = appointment.start.astimezone(zone).replace(tzinfo=None)
    patient, shown, practitioner = None, None, None
    for participant in appointment.participant or []:
        actor = participant.actor
        if actor is None:
            continue
        reference = actor.reference or ""
        resource = known.get(reference) or known.get("/".join(reference.split("/")[-2:]))
        kind = resource.get_resource_type() if resource else reference.split("/")[-2:][0]
        if kind == "Patient" and patient is None and shown is None:
            patient, shown = resource, actor.display or ""
        elif kind == "Practitioner" and practitioner is None:
            practitioner = (_name(resource) or actor.display) if resource else actor.display
    if shown is None:
        raise HandoutsError(
            "Appointment.participant: no Patient; name one (actor reference Patient/...)"
        )
    return BookingValues(
        kind=KIND,
        source=source,
        source_id=source_id,
        patient=(_name(patient) or shown) if patient else shown,
        service=_service(appointment, names),
        day=start.date(),
        hour=start.time(),
        email=_email(patient) if patient else None,
        practitioner=practitioner,
        language=_language(patient) if patient else None,
        cancelled=status in CANCELLED_STATUSES,
    )


def _service(appointment: Appointment, names: ServiceNames) -> str:
    """The first of serviceType (all of them), appointmentType and description that names
    only our treatments; else the first given, so its unknown services are reported."""
    candidates = [
        _concept_names(appointment.serviceType or []),
        _concept_names([appointment.appointmentType] if appointment.appointmentType else []),
        (appointment.description or "").strip(),
    ]
    candidates = [candidate for candidate in candidates if candidate]
    for candidate in candidates:
        treatments, unknown = names.treatments(candidate)
        if treatments and not unknown:
            return candidate
    return candidates[0] if candidates else ""


def _concept_names(concepts: list[Any]) -> str:
    """``"Microneedling; Chemical Peel"``: each concept's text, else its codings' display."""
    found = []
    for concept in concepts:
        shown = [concept.text] if concept.text else []
        shown = shown or [coding.display for coding in concept.coding or [] if coding.display]
        found += [text.strip() for text in shown[:1] if text.strip()]
    return "; ".join(dict.fromkeys(found))


def _name(resource: Any) -> str | None:
    """A person's name: the official (else the first) HumanName, as text or given + family."""
    people = resource.name or []
    if not people:
        return None
    chosen = next((name for name in people if name.use == "official"), people[0])
    if chosen.text:
        return chosen.text
    return " ".join([*(chosen.given or []), chosen.family or ""]).strip() or None


def _email(patient: Any) -> str | None:
    return next(
        (point.value for point in patient.telecom or [] if point.system == "email" and point.value),
        None,
    )


def _language(patient: Any) -> str | None:
    """The preferred (else the first) communication language's code."""
    spoken = patient.communication or []
    chosen = next((item for item in spoken if item.preferred), spoken[0] if spoken else None)
    if chosen is None:
        return None
    codes = [coding.code for coding in chosen.language.coding or [] if coding.code]
    return codes[0] if codes else chosen.language.text
