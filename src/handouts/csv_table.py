"""A CSV file read as a table: each record's cells by field name, or why it is bad.

The one row-reading road for ``handouts batch``/``email`` (our own column names) and
``handouts appointments import`` (a booking export's names, mapped in clinic.yaml). How
records are split, and the rule for a quote mark left open: ``csv_records``. A problem
with the file as a whole (unreadable, wrong encoding, empty, header without a required
column) raises HandoutsError naming the file; a problem with one record is kept with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .csv_records import LINE, count_problem, records, split_line
from .errors import HandoutsError
from .paths import display_path

MAX_CELL = 131_072
"""Longest cell read in a column we use (the ``csv`` module's own default limit)."""
SPREADSHEET_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
"""How an Excel workbook (.xlsx, a zip; .xls, an OLE file) starts."""


def header_key(name: str) -> str:
    """A header cell as compared: ``"Client Name"`` and ``client_name`` are one column."""
    return name.strip().strip('"').strip().lower().replace(" ", "_")


@dataclass(frozen=True)
class TableRow:
    """One record that is not blank: its cells by field, or the problem that spoils it."""

    first: int
    """The file's line number where the record starts (the header is line 1)."""
    last: int | None
    """Where it ends, when a quoted cell takes it on to a later line."""
    values: dict[str, str]
    """Stripped cells of the columns asked for, by field name (empty when ``problem``)."""
    problem: str | None = None


def decode(path: Path, encoding: str = "utf-8") -> str:
    """The file's text (a UTF-8 BOM is dropped); HandoutsError says what to do if not text."""
    where = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise HandoutsError(f"{where}: cannot read ({error.strerror})") from None
    if data.startswith(SPREADSHEET_STARTS):
        raise HandoutsError(
            f"{where}: an Excel workbook, not a CSV file; save it as CSV UTF-8 from your "
            "booking system or spreadsheet"
        )
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        if codec == "utf-8-sig":
            raise HandoutsError(
                f"{where}: not UTF-8 text; export the CSV as UTF-8 from your booking system"
            ) from None
        raise HandoutsError(
            f"{where}: not {encoding} text; export it in {encoding}, or change "
            "appointments.encoding in clinic.yaml"
        ) from None


def read_table(
    path: Path,
    columns: Mapping[str, str],
    required: Sequence[str],
    needs: str,
    encoding: str = "utf-8",
    delimiter: str | None = None,
) -> list[TableRow]:
    """Every record of the CSV at ``path`` but the header and blank ones, in file order.

    ``columns`` maps each field to its header as written (``patient_name: "Client Name"``);
    headers are compared by ``header_key``. ``needs`` ends a message about the header
    (``the header row needs ...``). Without ``delimiter``, the header's commonest of
    ``,`` and ``;`` is used.
    """
    where = display_path(path)
    text = decode(path, encoding)
    first_line = LINE.match(text)
    if first_line is None:
        raise HandoutsError(f"{where}: the file is empty")
    header = first_line.group()
    if delimiter is None:
        delimiter = ";" if header.count(";") > header.count(",") else ","
    header_cells, open_quote = split_line(header.rstrip("\r\n"), delimiter)
    if open_quote:
        raise HandoutsError(
            f'{where}: line 1: a quote mark (") in the header never closes; {needs}'
        )
    names = [header_key(cell) for cell in header_cells]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise HandoutsError(
            f"{where}: the header has {', '.join(repeated)} more than once; keep one column of each"
        )
    position = {
        field: names.index(header_key(written))
        for field, written in columns.items()
        if header_key(written) in names
    }
    missing = [columns[field] for field in required if field not in position]
    if missing:
        raise HandoutsError(f"{where}: no {', '.join(missing)} column; {needs}")
    rows: list[TableRow] = []
    found = records(text, delimiter, len(names))
    next(found)  # the header, read above
    for first, last, cells, problem in found:
        span = last if last != first else None
        if cells is not None and not any(cell.strip() for cell in cells):
            continue
        problem = problem or count_problem(cells, len(names), last - first + 1)
        if problem:
            rows.append(TableRow(first, span, {}, problem))
            continue
        values = {field: cells[index] for field, index in position.items()}
        problem = _cell_problem(values)
        stripped = {} if problem else {field: value.strip() for field, value in values.items()}
        rows.append(TableRow(first, span, stripped, problem))
    return rows


def _cell_problem(values: dict[str, str]) -> str | None:
    """Why a cell we use cannot be right: too long, or over several lines."""
    for field, value in values.items():
        if len(value) > MAX_CELL:
            return (
                f"{field}: {len(value):,} characters, more than {MAX_CELL:,}; "
                'is a quote mark (") missing?'
            )
        if "\n" in value or "\r" in value:
            return f"{field}: the cell runs over several lines; is a quote mark missing?"
    return None
