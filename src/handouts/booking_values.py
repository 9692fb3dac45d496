"""One booking's values, as any source read them, checked into a ``Booking``.

The CSV export, the calendar and the FHIR readers each find the patient, service, start
and the rest in their own way, then hand them here: names, email, language and services
are checked (and services matched to treatments) the same way for every source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from .booking import BOOKED, CANCELLED, Booking, booking_id
from .config import EMAIL
from .errors import HandoutsError, InputError
from .inputs import parse_appointment, parse_language
from .service_names import ServiceNames, normalised

MAX_ID_LENGTH = 200


@dataclass
class ExportRows:
    """What a source held: good bookings, rejected ones, and each unknown service's places."""

    bookings: list[Booking] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """``("line 12", reason)`` (or ``("event <UID>", reason)``) for each booking not imported."""
    unknown_services: dict[str, list[str]] = field(default_factory=dict)
    """Each service that names no treatment (as first written), and where it is."""

    def reject(self, where: str, error: HandoutsError) -> None:
        """Keep ``error`` as the reason ``where`` is not imported (once per place and reason)."""
        if (where, error.message) in self.rejected:
            return
        self.rejected.append((where, error.message))
        if isinstance(error, UnknownServices):
            spellings = {normalised(service): service for service in self.unknown_services}
            for service in error.services:
                first = spellings.setdefault(normalised(service), service)
                places = self.unknown_services.setdefault(first, [])
                if where not in places:
                    places.append(where)


def places(wheres: list[str]) -> str:
    """``line 14`` or ``lines 14, 37``; ``event a@x`` or ``events a@x, b@x``."""
    kind = wheres[0].split(" ", 1)[0].removesuffix("s")
    plural = len(wheres) > 1 or wheres[0].startswith("lines ")
    return f"{kind}{'s' if plural else ''} {', '.join(w.split(' ', 1)[1] for w in wheres)}"


class UnknownServices(InputError):
    """A service naming no treatment we have."""

    def __init__(self, label: str, services: list[str]) -> None:
        self.label = label
        shown = ", ".join(repr(service) for service in services)
        super().__init__(
            f"{label}: unknown service {shown}; add it under appointments.treatments in "
            "clinic.yaml (service name: treatment)"
        )
        self.services = services

    def __reduce__(self):
        return type(self), (self.label, self.services)


@dataclass(frozen=True)
class BookingValues:
    """What a source says about one booking, before it is checked."""

    kind: str
    """``csv``, ``ical`` or ``fhir``: the first part of the booking's id."""
    source: str
    source_id: str | None
    patient: str | None
    service: str
    """The service(s) as written; several separated by ; , or +."""
    day: date
    hour: time | None
    email: str | None = None
    practitioner: str | None = None
    language: str | None = None
    cancelled: bool = False


def checked_booking(
    values: BookingValues,
    labels: dict[str, str],
    names: ServiceNames,
    extra_font: Path | None,
    each: str = "row",
) -> Booking:
    """The booking ``values`` describe; InputError (naming ``labels[field]``, and saying
    what ``each`` booking is: row, event) if not usable."""
    if not values.patient:
        raise InputError(f"{labels['patient_name']}: empty; every {each} needs the patient's name")
    treatments, unknown = names.treatments(values.service)
    if unknown:
        raise UnknownServices(labels["treatments"], unknown)
    if not treatments:
        raise InputError(f"{labels['treatments']}: empty; every {each} needs the service booked")
    appointment = parse_appointment(
        values.patient,
        values.day,
        values.hour,
        values.practitioner or None,
        extra_font,
        names={"patient": labels["patient_name"], "practitioner": labels["practitioner"]},
    )
    email = values.email or None
    if email and not EMAIL.fullmatch(email):
        raise InputError(f"{labels['email']}: {email[:60]!r} is not an email address")
    language = values.language or None
    if language:
        language = parse_language(language, labels["language"])
    start = values.day.isoformat() + (f"T{values.hour:%H:%M}" if values.hour else "")
    source_id = values.source_id or None
    if source_id and len(source_id) > MAX_ID_LENGTH:
        raise InputError(f"{labels['id']}: longer than {MAX_ID_LENGTH} characters")
    return Booking(
        id=booking_id(values.kind, source_id, appointment.patient, email, start, treatments),
        source=values.source,
        source_id=source_id,
        patient=appointment.patient,
        email=email,
        treatments=treatments,
        start=start,
        practitioner=appointment.practitioner,
        language=language,
        status=CANCELLED if values.cancelled else BOOKED,
    )
