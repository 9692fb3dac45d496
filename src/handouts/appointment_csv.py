"""A booking system's appointments CSV, read into checked rows.

UTF-8 with or without BOM, ``,`` or ``;`` between cells, any line endings. A bad row is
reported with its row number and skipped; an exact duplicate of an earlier row is
reported once as a duplicate and kept once; every good row is still read.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .appointments import Appointment, leaflet_file_name
from .config import EMAIL
from .content import ContentLibrary
from .errors import HandoutsError
from .inputs import parse_appointment, parse_language, parse_treatments
from .paths import display_path
from .request import Channel, LeafletRequest

COLUMNS = ("patient_name", "email", "treatment", "date", "time", "practitioner", "language")
REQUIRED_COLUMNS = ("patient_name", "treatment")


@dataclass(frozen=True)
class AppointmentRow:
    """One good row of the CSV."""

    row: int
    """Row number as a spreadsheet shows it (the header is row 1)."""
    treatments: tuple[str, ...]
    appointment: Appointment
    email: str | None
    language: str | None

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
    """A row that was skipped, and why; ``duplicate`` rows were made once already."""

    row: int
    reason: str
    duplicate: bool = False


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise HandoutsError(f"{display_path(path)}: cannot read ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HandoutsError(
            f"{display_path(path)}: not UTF-8 text; export the CSV as "
            "UTF-8 from your booking system"
        ) from None


def _header(path: Path, header: list[str] | None) -> list[str]:
    if header is None:
        raise HandoutsError(f"{display_path(path)}: the file is empty")
    names = [name.strip().strip('"').strip().lower().replace(" ", "_") for name in header]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise HandoutsError(
            f"{display_path(path)}: the header has {', '.join(repeated)} more "
            "than once; keep one column of each"
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise HandoutsError(
            f"{display_path(path)}: no {', '.join(missing)} column; the header row needs "
            f"{', '.join(COLUMNS)}"
        )
    return names


def read_appointments(
    path: Path, library: ContentLibrary, extra_font: Path | None = None
) -> tuple[list[AppointmentRow], list[RowProblem]]:
    """The good rows of an appointments CSV, and the rows skipped (bad or duplicate).

    ``extra_font`` is the clinic's own font, which may cover more letters in names.
    """
    text = _decode(path)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    names = _header(path, next(reader, None))
    known = library.slugs()
    rows: list[AppointmentRow] = []
    first_rows: dict[tuple, int] = {}
    problems: list[RowProblem] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            try:
                if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
                    raise HandoutsError(
                        f"{len(cells)} cells but the header has {len(names)}; "
                        "check the separators in this row"
                    )
                values = {name: cell.strip() for name, cell in zip(names, cells, strict=False)}
                if any("\n" in values.get(name, "") for name in COLUMNS):
                    raise HandoutsError("a cell runs over several lines; is a quote mark missing?")
                row = _read_row(number, values, known, extra_font)
            except HandoutsError as error:
                problems.append(RowProblem(number, error.message))
                continue
            if row.identity in first_rows:
                first = first_rows[row.identity]
                reason = f"the same appointment as row {first}; made once"
                problems.append(RowProblem(number, reason, duplicate=True))
                continue
            first_rows[row.identity] = number
            rows.append(row)
    except csv.Error as error:
        raise HandoutsError(
            f"{display_path(path)}: line {reader.line_num}: cannot read the "
            f"CSV ({error}); is a quote mark missing?"
        ) from None
    return rows, problems


def _read_row(
    number: int, values: dict[str, str], known: list[str], extra_font: Path | None
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
        number, treatments, appointment, email, parse_language(language) if language else None
    )
