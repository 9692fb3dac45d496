"""A booking system's CSV export, read into bookings for the appointment store.

Columns, service names, date and time formats come from ``appointments:`` in
clinic.yaml (``appointment_settings``); rows are split as for ``handouts batch``
(``csv_table``). A bad row is rejected with its line and reason; every good row is read.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from .appointment_settings import REQUIRED_FIELDS, AppointmentSettings
from .booking import Booking
from .booking_values import BookingValues, ExportRows, UnknownServices, checked_booking
from .csv_table import TableRow, read_table
from .errors import HandoutsError, InputError
from .inputs import parse_date, parse_time
from .service_names import ServiceNames, normalised

__all__ = ["ExportRows", "UnknownServices", "read_booking_export"]
KIND = "csv"
TIME_DIRECTIVES = ("%H", "%I", "%M")


def _where(row: TableRow) -> str:
    return f"line {row.first}" if row.last is None else f"lines {row.first}-{row.last}"


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
    for row in table:
        try:
            if row.problem:
                raise InputError(row.problem)
            found.bookings.append(reader.booking(row.values))
        except HandoutsError as error:
            found.reject(_where(row), error)
    return found


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
        day, hour = self._start(values.get("date", ""), values.get("time", ""))
        found = BookingValues(
            kind=KIND,
            source=self.source,
            source_id=values.get("id") or None,
            patient=values.get("patient_name"),
            service=values.get("treatments", ""),
            day=day,
            hour=hour,
            email=values.get("email"),
            practitioner=values.get("practitioner"),
            language=values.get("language"),
            cancelled=normalised(values.get("status", "")) in self.cancelled,
        )
        return checked_booking(found, self.labels, self.names, self.extra_font)

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
