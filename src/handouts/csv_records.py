"""Splitting a CSV file into records, so that one bad row cannot take the rest with it.

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
from functools import cache

MAX_RECORD_LINES = 200
"""Most physical lines one record (a row with a multi-line quoted cell) may span."""
UNCLOSED = (
    'a quote mark (") opens a cell that does not close on this row; remove it or add the closing "'
)
TOO_LONG = (
    f"a quoted cell runs on for over {MAX_RECORD_LINES} lines; remove the stray quote "
    'mark (") or add the closing one'
)

LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
"""One physical line and its ending: the ``csv`` module's line breaks, no others."""
_IN_QUOTES = re.compile(r'[^"]*(?:""[^"]*)*')
"""The inside of a quoted cell up to its closing quote or the end of the line."""


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


def _closes_cleanly(line: str, delimiter: str) -> bool:
    """For a line that starts inside a quoted cell: whether the quote mark that closes it
    is followed by a separator or the line's end, as a closing quote always is in a CSV
    file written by a program. One followed by text (``,"two``) opens a cell instead.
    """
    inside = _IN_QUOTES.match(line)
    if inside.end() == len(line):
        return True  # the cell goes on to the next line
    after = inside.end() + 1
    return after == len(line) or line.startswith(delimiter, after)


def count_problem(cells: list[str], width: int, lines: int = 1) -> str | None:
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
    lines = [match.group() for match in LINE.finditer(text)]
    bodies = [line.rstrip("\r\n") for line in lines]

    @cache
    def split(index: int, quoted: bool) -> tuple[list[str], bool]:
        return split_line(bodies[index], delimiter, quoted)

    # The record that would start on each line, found from the last line up, so that a
    # record that ends badly can ask whether a line it took in starts a good row instead.
    starting: list[tuple[int, list[str] | None, str | None]] = [(0, None, None)] * len(lines)

    def whole_line(index: int) -> bool:
        cells, open_quote = split(index, False)
        return not open_quote and count_problem(cells, width) is None

    def starts_row(index: int) -> bool:
        _, cells, problem = starting[index]
        return problem is None and count_problem(cells, width) is None

    def record_from(start: int) -> tuple[int, list[str] | None, str | None]:
        first, open_quote = split(start, False)
        cells, pieces, end = first[:-1], [first[-1]], start
        while open_quote:
            following = end + 1
            if following == len(lines):
                return start, None, UNCLOSED
            if following - start >= MAX_RECORD_LINES:
                return start, None, TOO_LONG
            if not _closes_cleanly(bodies[following], delimiter):
                return start, None, UNCLOSED  # what "closes" it opens a cell: it was stray
            more, open_quote = split(following, True)
            merged = [*pieces, lines[end][len(bodies[end]) :], more[0]]
            if open_quote and len(more) == 1:
                taken, pieces = cells, merged
            else:
                taken = [*cells, "".join(merged), *more[1 : -1 if open_quote else None]]
                pieces = [more[-1]]
            if whole_line(following) and (open_quote or count_problem(taken, width)):
                return start, None, UNCLOSED  # the next row: this quote mark was stray
            cells, end = taken, following
        if end == start:
            return start, first, None
        if count_problem(cells, width) and any(map(starts_row, range(start + 1, end + 1))):
            return start, None, UNCLOSED  # it took in a good row: read that one instead
        return end, cells, None

    for index in reversed(range(len(lines))):
        starting[index] = record_from(index)
    start = 0
    while start < len(lines):
        end, cells, problem = starting[start]
        yield start + 1, end + 1, cells, problem
        start = end + 1
