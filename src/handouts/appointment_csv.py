"""A booking system's appointments CSV, read into checked rows.

UTF-8 with or without BOM, ``,`` or ``;`` between cells, any line endings, quoted cells
that run over several lines (a notes column). A bad row is reported by its physical line
numbers and skipped; an exact duplicate of an earlier row is reported once as a duplicate
and kept once; every good row is still read.

The file is read line by line here rather than by the ``csv`` module, so that one bad row
cannot take the rest of the file with it. Cells are split as ``csv`` splits them (Excel's
dialect). A quote mark that opens a cell takes the record on to the next line, except when

- the file ends first: the quote never closes;
- the record would run past ``MAX_RECORD_LINES`` lines;
- the next line is a whole row by itself (as many cells as the header, no quote left
  open) and taking it in would not finish this record as a whole row;
- the record closes with the wrong number of cells, and one of the lines it took in
  starts a whole row (of one or more lines) of its own.

Then the record's first line is reported as a quote mark left open, and reading resumes
on the line after it. There is no limit on a cell's size: a long cell in a column we do
not use is fine, one over ``MAX_CELL`` characters in a column we use is a row problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
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
MAX_CELL = 131_072
"""Longest cell read in a column we use (the ``csv`` module's own default limit)."""
MAX_RECORD_LINES = 200
"""Most physical lines one record (a row with a multi-line quoted cell) may span."""
UNCLOSED = (
    'a quote mark (") opens a cell that does not close on this row; remove it or add the closing "'
)
TOO_LONG = (
    f"a quoted cell runs on for over {MAX_RECORD_LINES} lines; remove the stray quote "
    'mark (") or add the closing one'
)

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
"""One physical line and its ending: the ``csv`` module's line breaks, no others."""
_IN_QUOTES = re.compile(r'[^"]*(?:""[^"]*)*')
"""The inside of a quoted cell up to its closing quote or the end of the line."""


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


def _header(path: Path, header: list[str]) -> list[str]:
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


def split_line(line: str, delimiter: str, quoted: bool = False) -> tuple[list[str], bool]:
    """The cells of one physical line (no line ending), and whether a quote is left open.

    ``quoted``: the line starts inside a quoted cell opened on an earlier line, so its first
    cell continues that one. Splits as ``csv.reader`` does with Excel's dialect: a quote
    opens a cell only at its start, ``""`` inside is one quote, and text after the closing
    quote joins the cell.
    """
    unquoted = re.compile(f"[^{re.escape(delimiter)}]*")
    cells: list[str] = []
    cell, position = "", 0
    while True:
        if not quoted and line.startswith('"', position):
            quoted, position = True, position + 1
        if quoted:
            inside = _IN_QUOTES.match(line, position)
            cell += inside.group().replace('""', '"')
            if inside.end() == len(line):
                cells.append(cell)
                return cells, True
            quoted, position = False, inside.end() + 1
        rest = unquoted.match(line, position)
        cells.append(cell + rest.group())
        if rest.end() == len(line):
            return cells, False
        cell, position = "", rest.end() + 1


def _count_problem(cells: list[str], width: int, lines: int = 1) -> str | None:
    """Why a record's cells do not fit the header (empty cells after the last are fine)."""
    if len(cells) < width or any(cell.strip() for cell in cells[width:]):
        check = "the separators in this row" if lines == 1 else "its separators and quote marks"
        return f"{_plural(len(cells), 'cell')} but the header has {width}; check {check}"
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def records(
    text: str, delimiter: str, width: int
) -> Iterator[tuple[int, int, list[str] | None, str | None]]:
    """``(first line, last line, cells, None)`` for each record of ``text``, or ``(line,
    line, None, problem)`` for a line whose quote mark is taken not to close.

    Lines are numbered from 1; the header is a record like the others. The rule for a
    quote left open is in the module's docstring.
    """
    lines = [match.group() for match in _LINE.finditer(text)]
    bodies = [line.rstrip("\r\n") for line in lines]

    @cache
    def split(index: int, quoted: bool) -> tuple[list[str], bool]:
        return split_line(bodies[index], delimiter, quoted)

    # The record that would start on each line, found from the last line up, so that a
    # record that ends badly can ask whether a line it took in starts a good row instead.
    starting: list[tuple[int, list[str] | None, str | None]] = [(0, None, None)] * len(lines)

    def whole_line(index: int) -> bool:
        cells, open_quote = split(index, False)
        return not open_quote and _count_problem(cells, width) is None

    def starts_row(index: int) -> bool:
        _, cells, problem = starting[index]
        return problem is None and _count_problem(cells, width) is None

    def record_from(start: int) -> tuple[int, list[str] | None, str | None]:
        first, open_quote = split(start, False)
        cells, pieces, end = first[:-1], [first[-1]], start
        while open_quote:
            following = end + 1
            if following == len(lines):
                return start, None, UNCLOSED
            if following - start >= MAX_RECORD_LINES:
                return start, None, TOO_LONG
            more, open_quote = split(following, True)
            merged = [*pieces, lines[end][len(bodies[end]) :], more[0]]
            if open_quote and len(more) == 1:
                taken, pieces = cells, merged
            else:
                taken = [*cells, "".join(merged), *more[1 : -1 if open_quote else None]]
                pieces = [more[-1]]
            if whole_line(following) and (open_quote or _count_problem(taken, width)):
                return start, None, UNCLOSED  # the next row: this quote mark was stray
            cells, end = taken, following
        if end == start:
            return start, first, None
        if _count_problem(cells, width) and any(map(starts_row, range(start + 1, end + 1))):
            return start, None, UNCLOSED  # it took in a good row: read that one instead
        return end, cells, None

    for index in reversed(range(len(lines))):
        starting[index] = record_from(index)
    start = 0
    while start < len(lines):
        end, cells, problem = starting[start]
        yield start + 1, end + 1, cells, problem
        start = end + 1


def read_appointments(
    path: Path, library: ContentLibrary, extra_font: Path | None = None
) -> tuple[list[AppointmentRow], list[RowProblem]]:
    """The good rows of an appointments CSV, and the rows skipped (bad or duplicate).

    Every record that is not blank is one or the other, so together they count the rows
    of the file. ``extra_font`` is the clinic's own font, which may cover more letters in
    names.
    """
    text = _decode(path)
    first_line = _LINE.match(text)
    if first_line is None:
        raise HandoutsError(f"{display_path(path)}: the file is empty")
    header = first_line.group()
    delimiter = ";" if header.count(";") > header.count(",") else ","
    header_cells, open_quote = split_line(header.rstrip("\r\n"), delimiter)
    if open_quote:
        raise HandoutsError(
            f'{display_path(path)}: line 1: a quote mark (") in the header never closes; '
            "the header row needs " + ", ".join(COLUMNS)
        )
    names = _header(path, header_cells)
    known = library.slugs()
    rows: list[AppointmentRow] = []
    first_rows: dict[tuple, AppointmentRow] = {}
    problems: list[RowProblem] = []
    found = records(text, delimiter, len(names))
    next(found)  # the header, read above
    for first, last, cells, problem in found:
        span = last if last != first else None
        if cells is not None and not any(cell.strip() for cell in cells):
            continue
        try:
            if problem:
                raise HandoutsError(problem)
            values = _values(names, cells, last - first + 1)
            row = _read_row(first, span, values, known, extra_font)
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


def _values(names: list[str], cells: list[str], lines: int) -> dict[str, str]:
    """The row's cells by column name; a problem with a cell of a column we use raises."""
    problem = _count_problem(cells, len(names), lines)
    if problem:
        raise HandoutsError(problem)
    values = dict(zip(names, cells, strict=False))
    for name in COLUMNS:
        value = values.get(name, "")
        if len(value) > MAX_CELL:
            raise HandoutsError(
                f"{name}: {len(value):,} characters, more than {MAX_CELL:,}; "
                'is a quote mark (") missing?'
            )
        if "\n" in value or "\r" in value:
            raise HandoutsError(
                f"{name}: the cell runs over several lines; is a quote mark missing?"
            )
    return {name: value.strip() for name, value in values.items()}


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
