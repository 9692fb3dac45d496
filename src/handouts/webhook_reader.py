"""A booking system's webhook call (``POST /api/appointments``) into the appointment store.

The body is JSON: one appointment object, ``{"appointments": [...]}``, or a FHIR R4
Appointment or Bundle (told by ``resourceType``, read by ``fhir_reader``). Plain objects
are checked by ``booking_values`` like CSV rows; every booking is stored with the source
``webhook``, and each call's rejections are appended to the data folder's
``import-reports/webhook.import-report.csv``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path

from .appointment_import import REPORT_SUFFIX, ImportResult, report_text
from .appointment_store import count_outcomes, save_appointments
from .booking_values import BookingValues, ExportRows, checked_booking
from .clock import now_iso
from .config import Clinic
from .content import ContentLibrary
from .errors import HandoutsError, InputError
from .fhir_reader import read_fhir
from .history_file import check_history
from .paths import data_folder
from .service_names import ServiceNames, normalised

KIND = SOURCE = "webhook"
FIELDS = (
    "id",
    "patient_name",
    "email",
    "treatments",
    "service",
    "start",
    "practitioner",
    "language",
    "status",
)
BOOKED_STATUSES = ("booked", "rescheduled")
REPORT_NAME = "webhook" + REPORT_SUFFIX
_report_lock = threading.Lock()
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookResult:
    """What one call did: each appointment's id and outcome (and reason when rejected)."""

    appointments: list[dict[str, str | None]]

    @property
    def all_rejected(self) -> bool:
        found = self.appointments
        return bool(found) and all(item["outcome"] == "rejected" for item in found)


def receive_webhook(body: bytes, clinic: Clinic) -> WebhookResult:
    """Read ``body``, merge its bookings into the store, append its rejections to the
    report; HandoutsError (status 400) if the body as a whole is unusable."""
    check_history(clinic)
    names = ServiceNames(ContentLibrary(clinic.kit_dir), clinic.appointments.treatments)
    rows = read_webhook(body, clinic, names)
    rows.bookings = [replace(booking, source=SOURCE) for booking in rows.bookings]
    outcomes = save_appointments(clinic, rows.bookings)
    found: list[dict[str, str | None]] = [
        {"id": booking.source_id, "appointment": booking.id, "outcome": outcome}
        for booking, outcome in zip(rows.bookings, outcomes, strict=True)
    ]
    for where, reason in rows.rejected:
        found.append({"id": where.split(" ", 1)[1], "outcome": "rejected", "reason": reason})
    if rows.rejected:
        counts = count_outcomes(outcomes)
        counts["rejected"] = len(rows.rejected)
        text = report_text(ImportResult(counts, rows, report_path()), when=now_iso())
        try:
            append_report(text)
        except OSError as error:  # stored already; the caller is told every rejection
            logger.warning("webhook: cannot append to %s (%s)", report_path(), error)
    return WebhookResult(found)


def read_webhook(body: bytes, clinic: Clinic, names: ServiceNames) -> ExportRows:
    """The bookings in the JSON ``body``; InputError if it is no JSON object of ours."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError(f"body: not JSON text in UTF-8 ({error})") from None
    if isinstance(document, dict) and "resourceType" in document:
        try:
            return read_fhir(body, "body", names, clinic.font_path, clinic.zone)
        except InputError:
            raise
        except HandoutsError as error:  # the body is no usable FHIR: the caller's to fix
            raise InputError(error.message) from None
    if isinstance(document, dict) and "appointments" in document:
        if set(document) != {"appointments"} or not isinstance(document["appointments"], list):
            raise InputError('body: give {"appointments": [...]} and nothing else beside it')
        items = document["appointments"]
    elif isinstance(document, dict):
        items = [document]
    else:
        raise InputError('body: give one appointment object, or {"appointments": [...]}')
    if not items:
        raise InputError("appointments: empty; send at least one appointment")
    found = ExportRows()
    cancelled = {normalised(value) for value in clinic.appointments.cancelled}
    for number, item in enumerate(items, 1):
        if isinstance(item, dict) and type(item.get("id")) is int:
            item = {**item, "id": str(item["id"])}  # a booking system's numbered bookings
        given = item.get("id") if isinstance(item, dict) else None
        where = f"appointment {given if isinstance(given, str) and given else f'#{number}'}"
        try:
            values = _values(item, clinic, cancelled)
            labels = {key: key for key in FIELDS}
            labels["treatments"] = "service" if "service" in item else "treatments"
            found.bookings.append(
                checked_booking(values, labels, names, clinic.font_path, "appointment")
            )
        except HandoutsError as error:
            found.reject(where, error)
    return found


def _values(item: object, clinic: Clinic, cancelled: set[str]) -> BookingValues:
    """One plain appointment object's values, before they are checked."""
    if not isinstance(item, dict):
        raise InputError('not an object; each appointment is {"id": ..., ...}')
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise InputError(f"{unknown[0][:40]}: unknown field; use {', '.join(FIELDS)}")
    for key, value in item.items():
        listed = key == "treatments" and isinstance(value, list)
        if value is not None and not isinstance(value, str) and not listed:
            raise InputError(f"{key}: give text, not {type(value).__name__}")
        if listed and not all(isinstance(name, str) for name in value):
            raise InputError("treatments: give a list of names as text")
    if not item.get("id"):
        raise InputError("id: missing; give the booking system's own id, for later calls")
    if "treatments" in item and "service" in item:
        raise InputError("treatments, service: give one of them, not both")
    service = item.get("treatments") or item.get("service") or ""
    if isinstance(service, list):
        service = "; ".join(service)
    day, hour = _start(item.get("start"), clinic)
    status = normalised(item.get("status") or "booked")
    if status not in BOOKED_STATUSES and status not in cancelled:
        raise InputError(f"status: {item['status'][:40]!r} is not booked, rescheduled or cancelled")
    return BookingValues(
        kind=KIND,
        source=SOURCE,
        source_id=item["id"],
        patient=item.get("patient_name"),
        service=service,
        day=day,
        hour=hour,
        email=item.get("email"),
        practitioner=item.get("practitioner"),
        language=item.get("language"),
        cancelled=status in cancelled,
    )


def _start(text: str | None, clinic: Clinic) -> tuple[date, time | None]:
    """The start's day and time in the clinic's zone (a time with an offset is converted)."""
    if not text:
        raise InputError("start: missing; every appointment needs its start")
    try:
        if len(text) == 10:
            return date.fromisoformat(text), None
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"start: {text[:40]!r} is not ISO 8601; write it like 2026-12-03T14:30, "
            "2026-12-03T14:30:00+01:00 or 2026-12-03"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(clinic.zone).replace(tzinfo=None)
    return moment.date(), moment.time()


def report_path() -> Path:
    """Where webhook calls' rejections go: the data folder's ``import-reports/``."""
    return data_folder() / "import-reports" / REPORT_NAME


def append_report(text: str) -> None:
    """Append one call's report rows (its header only to a new file), readable by its owner."""
    path = report_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    with _report_lock:
        descriptor = os.open(path, flags, 0o600)
        with os.fdopen(descriptor, "ab") as stream:
            if os.fstat(descriptor).st_size == 0:
                data = text.encode("utf-8-sig")  # the BOM: spreadsheets then read UTF-8
            else:
                data = text.split("\r\n", 1)[1].encode("utf-8")
            stream.write(data)
