"""A booking system's CSV export, read into bookings for the appointment store.

Columns, service names, date and time formats come from ``appointments:`` in
clinic.yaml (``appointment_settings``); rows are split as for ``handouts batch``
(``csv_table``). A bad row is rejected with its line and reason; every good row is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from .appointment_settings import REQUIRED_FIELDS, AppointmentSettings
from .booking import BOOKED, CANCELLED, Booking, booking_id
from .config import EMAIL
from .csv_table import TableRow, read_table
from .errors import HandoutsError, InputError
from .inputs import parse_appointment, parse_date, parse_language, parse_time
from .service_names import ServiceNames, normalised

KIND = "csv"
TIME_DIRECTIVES = ("%H", "%I", "%M")
MAX_ID_LENGTH = 200


def _where(row: TableRow) -> str:
    return f"line {row.first}" if row.last is None else f"lines {row.first}-{row.last}"


@dataclass
class ExportRows:
    """What a file held: good bookings, rejected rows, and each unknown service's rows."""

    bookings: list[Booking] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """``("line 12", reason)`` for each row not imported."""
    unknown_services: dict[str, list[str]] = field(default_factory=dict)
    """Each service that names no treatment (as first written), and the lines it is on."""


def read_booking_export(
    path: Path, settings: AppointmentSettings, names: ServiceNames, extra_font: Path | None
) -> ExportRows:
    """The bookings in ``path``; HandoutsError (naming the file) if it is no usable CSV."""
    headers = settings.columns.headers()
    needs = (
        "name the export's column for each under appointments.columns in clinic.yaml "
        '(e.g. patient_name: "Client Name")'
    )
    table = read_table(path, headers, REQUIRED_FIELDS, needs, settings.encoding, settings.delimiter)
    reader = _RowReader(settings, headers, names, extra_font, f"{KIND}:{path.name}")
    found = ExportRows()
    spellings: dict[str, str] = {}
    for row in table:
        try:
            if row.problem:
                raise HandoutsError(row.problem)
            found.bookings.append(reader.booking(row.values))
        except UnknownServices as error:
            for service in error.services:
                first = spellings.setdefault(normalised(service), service)
                found.unknown_services.setdefault(first, []).append(_where(row))
            found.rejected.append((_where(row), error.message))
        except HandoutsError as error:
            found.rejected.append((_where(row), error.message))
    return found


class UnknownServices(InputError):
    """A service cell naming no treatment we have."""

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


class _RowReader:
    """Turns one row's cells into a booking, with messages naming the export's headers."""

    def __init__(
        self,
        settings: AppointmentSettings,
        headers: dict[str, str],
        names: ServiceNames,
        extra_font: Path | None,
        source: str,
    ) -> None:
        self.settings, self.labels, self.names = settings, headers, names
        self.extra_font, self.source = extra_font, source
        self.cancelled = {normalised(value) for value in settings.cancelled}

    def booking(self, values: dict[str, str]) -> Booking:
        label = self.labels
        if not values.get("patient_name"):
            raise InputError(f"{label['patient_name']}: empty; every row needs the patient's name")
        service = values.get("treatments", "")
        treatments, unknown = self.names.treatments(service)
        if unknown:
            raise UnknownServices(label["treatments"], unknown)
        if not treatments:
            raise InputError(f"{label['treatments']}: empty; every row needs the service booked")
        day, hour = self._start(values.get("date", ""), values.get("time", ""))
        appointment = parse_appointment(
            values["patient_name"],
            day,
            hour,
            values.get("practitioner") or None,
            self.extra_font,
            names={"patient": label["patient_name"], "practitioner": label["practitioner"]},
        )
        email = values.get("email") or None
        if email and not EMAIL.fullmatch(email):
            raise InputError(f"{label['email']}: {email[:60]!r} is not an email address")
        language = values.get("language") or None
        if language:
            language = parse_language(language, label["language"])
        start = day.isoformat() + (f"T{hour:%H:%M}" if hour else "")
        source_id = values.get("id") or None
        if source_id and len(source_id) > MAX_ID_LENGTH:
            raise InputError(f"{label['id']}: longer than {MAX_ID_LENGTH} characters")
        status = CANCELLED if normalised(values.get("status", "")) in self.cancelled else BOOKED
        return Booking(
            id=booking_id(KIND, source_id, appointment.patient, email, start, treatments),
            source=self.source,
            source_id=source_id,
            patient=appointment.patient,
            email=email,
            treatments=treatments,
            start=start,
            practitioner=appointment.practitioner,
            language=language,
            status=status,
        )

    def _start(self, day_text: str, time_text: str) -> tuple[date, time | None]:
        """The day and (if given) the time, read with the clinic's formats."""
        date_label, time_label = self.labels["date"], self.labels["time"]
        if not day_text:
            raise InputError(f"{date_label}: empty; every row needs the appointment's date")
        date_format, time_format = self.settings.date_format, self.settings.time_format
        hour = None
        if date_format is None:
            day = parse_date(day_text, date_label)
        else:
            moment = _strptime(day_text, date_format, date_label)
            day = moment.date()
            if any(directive in date_format for directive in TIME_DIRECTIVES):
                hour = moment.time()
        if time_text:
            if time_format is None:
                hour = parse_time(time_text, time_label)
            else:
                hour = _strptime(time_text, time_format, time_label).time()
        return day, hour


def _strptime(text: str, form: str, label: str) -> datetime:
    try:
        return datetime.strptime(text, form)
    except ValueError:
        example = datetime(2026, 12, 3, 14, 30).strftime(form)
        raise InputError(
            f"{label}: {text[:40]!r} does not match the format {form} (like {example}); "
            "check the cell, or appointments.date_format and time_format in clinic.yaml"
        ) from None
