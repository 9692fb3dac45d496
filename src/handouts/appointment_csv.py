"""A booking system's appointments CSV, read into checked rows.

UTF-8 with or without BOM, ``,`` or ``;`` between cells, any line endings, quoted cells
that run over several lines (a notes column). A bad row is reported by its physical line
numbers and skipped; an exact duplicate of an earlier row is reported once as a duplicate
and kept once; every good row is still read.

How records are split, and the rule for a quote mark left open: ``csv_records``; the
file and its header: ``csv_table``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .appointments import Appointment, leaflet_file_name
from .config import EMAIL
from .content import ContentLibrary
from .csv_table import MAX_CELL, read_table  # noqa: F401  (MAX_CELL is read from here too)
from .errors import HandoutsError
from .inputs import parse_appointment, parse_language, parse_treatments
from .request import Channel, LeafletRequest

COLUMNS = ("patient_name", "email", "treatment", "date", "time", "practitioner", "language")
REQUIRED_COLUMNS = ("patient_name", "treatment")


def _where(first: int, last: int | None) -> str:
    return f"line {first}" if last is None or last == first else f"lines {first}-{last}"


@dataclass(frozen=True)
class AppointmentRow:
    """One good row of the CSV."""

    row: int
    """The file's line number where the row starts (the header is line 1)."""
    treatments: tuple[str, ...]
    appointment: Appointment
    email: str | None
    language: str | None
    last_line: int | None = None
    """Where the row ends, if a quoted cell takes it over several lines."""

    @property
    def where(self) -> str:
        """``line 12``, or ``lines 12-14`` for a row with a multi-line cell."""
        return _where(self.row, self.last_line)

    def file_name(self) -> str:
        """``<date>_<patient>_<treatments>.pdf``, with only letters, digits, -, _ and +."""
        return leaflet_file_name(self.treatments, self.appointment)

    def request(
        self, channel: Channel, layout: str = "leaflet", large_print: bool = False
    ) -> LeafletRequest:
        """The personal leaflet this appointment gets."""
        return LeafletRequest(
            self.treatments, self.language, None, layout, large_print, self.appointment, channel
        )

    @property
    def identity(self) -> tuple:
        """Equal for two rows that describe the same appointment exactly."""
        return (self.treatments, self.appointment, (self.email or "").lower(), self.language)


@dataclass(frozen=True)
class RowProblem:
    """A row that was skipped, and why; ``duplicate`` rows were made once already.

    ``row`` is the file's line number where the row starts, ``last_line`` where it ends
    when that is a later line.
    """

    row: int
    reason: str
    duplicate: bool = False
    last_line: int | None = None

    @property
    def first_line(self) -> int:
        return self.row

    @property
    def where(self) -> str:
        """``line 12``, or ``lines 12-14`` for a row with a multi-line cell."""
        return _where(self.row, self.last_line)


def read_appointments(
    path: Path, library: ContentLibrary, extra_font: Path | None = None
) -> tuple[list[AppointmentRow], list[RowProblem]]:
    """The good rows of an appointments CSV, and the rows skipped (bad or duplicate).

    Every record that is not blank is one or the other, so together they count the rows
    of the file. ``extra_font`` is the clinic's own font, which may cover more letters in
    names.
    """
    needs = f"the header row needs {', '.join(COLUMNS)}"
    table = read_table(path, {name: name for name in COLUMNS}, REQUIRED_COLUMNS, needs)
    known = library.slugs()
    rows: list[AppointmentRow] = []
    first_rows: dict[tuple, AppointmentRow] = {}
    problems: list[RowProblem] = []
    for record in table:
        first, span = record.first, record.last
        try:
            if record.problem:
                raise HandoutsError(record.problem)
            row = _read_row(first, span, record.values, known, extra_font)
        except HandoutsError as error:
            problems.append(RowProblem(first, error.message, last_line=span))
            continue
        if row.identity in first_rows:
            reason = f"the same appointment as {first_rows[row.identity].where}; made once"
            problems.append(RowProblem(first, reason, duplicate=True, last_line=span))
            continue
        first_rows[row.identity] = row
        rows.append(row)
    return rows, problems


def _read_row(
    first: int,
    last: int | None,
    values: dict[str, str],
    known: list[str],
    extra_font: Path | None,
) -> AppointmentRow:
    if not values.get("patient_name"):
        raise HandoutsError("patient_name: empty; every row needs the patient's name")
    treatments = parse_treatments([values.get("treatment", "")], known)
    email = values.get("email") or None
    if email and not EMAIL.fullmatch(email):
        raise HandoutsError(f"email: {email[:60]!r} is not an email address")
    language = values.get("language") or None
    appointment = parse_appointment(
        values["patient_name"],
        values.get("date", ""),
        values.get("time", ""),
        values.get("practitioner") or None,
        extra_font,
        names={"patient": "patient_name"},
    )
    return AppointmentRow(
        first,
        treatments,
        appointment,
        email,
        parse_language(language) if language else None,
        last,
    )
