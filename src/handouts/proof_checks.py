"""What ``handouts proof`` looks for in a made leaflet, measured from its PDF alone.

Each check reads the PDF as a printer would get it (its letters, graphics and their boxes,
read by PDFium: ``pdf_reading``), so it holds whatever templates, styles or kit CSS made
the page:

- orphan pages: a page (of two or more) holding only the disclaimer, only the QR box, or
  text that reaches less than a fifth of the way down its text area;
- a clinic detail broken inside a word: the name and phone may wrap only between their
  words, the e-mail and website only after "@", "." or "/" (``BREAKS``);
- body text smaller than 12 pt (16 pt in large print). Body text is the size most of the
  leaflet's letters have, leaving out the running footer: the sections' paragraphs and
  lists. Small print (the footer, the contact line, the disclaimer, captions) is not body
  text and may be smaller;
- anything drawn outside the page's trim box;
- a section left out: its heading is nowhere in the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .pdf_reading import Mark, PageMarks, read_pages
from .proof_details import INVISIBLE, detail_problems

BODY_MIN_PT = 12.0
LARGE_PRINT_MIN_PT = 16.0
ORPHAN_FILL = 0.2
"""A page whose text reaches less than this share of its text area is an orphan."""
TRIM_TOLERANCE_PT = 0.5
SMALL_PRINT_LEFT = 20
"""Letters besides the small print that a page of only small print may hold."""
QR_MODULE_PT = 40.0
"""Graphics this small, twenty or more of them, are taken for a QR code's modules."""


@dataclass(frozen=True)
class Line:
    """One line of text as drawn: its letters in drawing order, and where it stands."""

    text: str
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class ClinicDetails:
    """What a leaflet prints about the clinic, to find broken inside a word."""

    name: str
    whole: tuple[tuple[str, str], ...]
    """(what, text) for the phone, e-mail and website."""
    disclaimer: str | None = None
    small_print: tuple[str, ...] = ()
    """Patterns (regular expressions, spaces left out) of the other small print: the
    general-information note and the content version line."""


def clinic_details(clinic, labels: dict[str, str] | None = None) -> ClinicDetails:
    """What proof looks for of a ``Clinic`` (in the leaflet's language) and its ``labels``."""
    whole = [("phone", clinic.phone)]
    if clinic.email:
        whole.append(("e-mail", clinic.email))
    if clinic.website:
        whole.append(("website", clinic.website.split("://", 1)[-1].rstrip("/")))
    small_print = []
    for key in ("general_information", "content_version"):
        if text := (labels or {}).get(key):
            pieces = [piece for piece in re.split(r"(\{\w+\})", INVISIBLE.sub("", text)) if piece]
            # A value first (a title) takes no "." or "/", so no web address before it; one
            # last (a date) runs to its full stop.
            small_print.append(
                "".join(
                    re.escape(piece)
                    if not piece.startswith("{")
                    else "[^.:/]{0,60}"
                    if index == 0
                    else "[^.]{0,40}\\.?"
                    if index == len(pieces) - 1
                    else ".{0,80}?"
                    for index, piece in enumerate(pieces)
                )
            )
    return ClinicDetails(clinic.name, tuple(whole), clinic.disclaimer, tuple(small_print))


def _small_print_line(line: Line, details: ClinicDetails) -> bool:
    """One line of the disclaimer or of the other small print (a whole line, or part of one)."""
    text = INVISIBLE.sub("", line.text)
    disclaimer = INVISIBLE.sub("", details.disclaimer or "")
    if disclaimer and text in disclaimer:
        return True
    return any(
        re.search(pattern, text) or text in re.sub(r"\\(.)", r"\1", pattern)
        for pattern in details.small_print
    )


def _only_small_print(lines: list[Line], details: ClinicDetails) -> bool:
    """The lines hold the disclaimer and the other small print, and next to nothing else
    (a few letters: the end of a wrapped version line)."""
    text = "".join(INVISIBLE.sub("", line.text) for line in lines)
    disclaimer = INVISIBLE.sub("", details.disclaimer or "")
    rest = text.replace(disclaimer, "") if disclaimer else text
    for pattern in details.small_print:
        rest = re.sub(pattern, "", rest)
    return len(rest) <= SMALL_PRINT_LEFT


def pdf_problems(
    pdf: bytes, details: ClinicDetails, large_print: bool, titles: tuple[str, ...] = ()
) -> list[str]:
    """Every problem found in the leaflet ``pdf``, one short phrase each; ``titles`` are the
    headings of the sections it must print."""
    pages = read_pages(pdf)
    lines = [char_lines(page.chars) for page in pages]
    running = running_lines(lines)
    body = [[line for line in page if _key(line) not in running] for page in lines]
    problems = outside_problems(pages)
    problems += orphan_problems(pages, body, running, details)
    problems += detail_problems(lines, details)
    problems += size_problems(body, large_print)
    problems += missing_sections(lines, titles)
    return problems


def missing_sections(lines: list[list[Line]], titles: tuple[str, ...]) -> list[str]:
    """Each section whose heading is nowhere in the PDF's text, wrapped or not.

    Right-to-left headings are left out: Arabic is drawn in visual order with ligatures
    that map back to no letters (see "Accessibility" in the README), so it cannot be read
    back to compare.
    """
    text = "".join(INVISIBLE.sub("", line.text) for page in lines for line in page)
    missing = []
    for title in titles:
        wanted = INVISIBLE.sub("", title)
        right_to_left = any(unicodedata.bidirectional(char) in ("R", "AL") for char in wanted)
        if wanted and not right_to_left and wanted not in text:
            missing.append(f"the section {_shown(title, 80)} is not in the leaflet")
    return missing


def char_lines(chars: list[Mark]) -> list[Line]:
    """Characters (in drawing order) as lines: a new line where the baseline moves."""
    lines: list[Line] = []
    current: list[dict] = []
    for char in chars:
        if current:
            last = current[-1]
            size = max(char.size, last.size)
            if abs(char.bottom - last.bottom) > 0.5 * size or char.x0 < last.x0 - 1:
                lines.append(_line(current))
                current = []
        current.append(char)
    if current:
        lines.append(_line(current))
    return [line for line in lines if line.text.strip()]


def _line(chars: list[Mark]) -> Line:
    sizes = Counter(round(char.size, 1) for char in chars if char.text.strip())
    return Line(
        text="".join(char.text for char in chars),
        top=min(char.top for char in chars),
        bottom=max(char.bottom for char in chars),
        size=sizes.most_common(1)[0][0] if sizes else 0.0,
    )


def _key(line: Line) -> tuple[int, str]:
    """A line as a running footer repeats it: same place, same words, any page number."""
    return round(line.top), re.sub(r"\d+", "#", INVISIBLE.sub("", line.text))


def running_lines(lines: list[list[Line]]) -> set[tuple[int, str]]:
    """Lines printed in the same place on every page (header and footer): not the text."""
    if len(lines) < 2:
        return set()
    shared = {_key(line) for line in lines[0]}
    for page in lines[1:]:
        shared &= {_key(line) for line in page}
    return shared


def outside_problems(pages: list[PageMarks]) -> list[str]:
    """Letters, pictures and graphics drawn (even partly) outside each page's trim box."""
    problems = []
    for page in pages:
        drawn = page.chars + page.images + page.paths
        outside = [item for item in drawn if _outside(item, page.trim)]
        if outside:
            lines = char_lines([item for item in outside if item.text])
            words = " ".join(lines[0].text.split()) if lines else ""
            what = f"text {_shown(words)}" if words else f"{len(outside)} graphic element(s)"
            problems.append(f"page {page.page_number}: {what} drawn outside the page's trim box")
    return problems


def _outside(item: Mark, trim: tuple[float, float, float, float]) -> bool:
    left, top, right, bottom = trim
    if item.text.isspace():
        return False
    return (
        item.x0 < left - TRIM_TOLERANCE_PT
        or item.x1 > right + TRIM_TOLERANCE_PT
        or item.top < top - TRIM_TOLERANCE_PT
        or item.bottom > bottom + TRIM_TOLERANCE_PT
    )


def orphan_problems(
    pages: list[PageMarks], body: list[list[Line]], running: set, details: ClinicDetails
) -> list:
    """Pages that hold only the disclaimer, only the QR box, or little of their text area."""
    if len(pages) < 2:
        return []
    footer = [top for top, _ in running if top > pages[0].height / 2]
    tops = [line.top for page in body for line in page]
    if not tops:
        return []
    area_top = min(tops)
    area_bottom = min(footer) if footer else max(line.bottom for page in body for line in page)
    problems = []
    for page, lines in zip(pages, body, strict=True):
        where = f"page {page.page_number} of {len(pages)}"
        if lines and _only_small_print(lines, details):
            problems.append(f"orphan page: {where} holds only the disclaimer or small print")
            continue
        rest = [line for line in lines if not _small_print_line(line, details)]
        if rest and _only_qr_box(page, rest):
            problems.append(f"orphan page: {where} holds only the QR box")
            continue
        bottom = max((line.bottom for line in lines), default=area_top)
        graphics = [item.bottom for item in page.images + page.curves if item.top < area_bottom]
        bottom = max([bottom, *graphics])
        fill = (bottom - area_top) / max(area_bottom - area_top, 1)
        if fill < ORPHAN_FILL:
            problems.append(
                f"orphan page: {where} fills {fill:.0%} of its text area "
                f"(at least {ORPHAN_FILL:.0%} wanted)"
            )
    return problems


def _only_qr_box(page: PageMarks, lines: list[Line]) -> bool:
    """The page's text is only the QR box's caption and address, beside its drawn code."""
    modules = [
        item
        for item in page.paths
        if item.x1 - item.x0 <= QR_MODULE_PT and item.bottom - item.top <= QR_MODULE_PT
    ]
    if len(lines) > 3 or len(modules) < 20:
        return False
    top = min(item.top for item in modules) - 2
    bottom = max(item.bottom for item in modules) + 2
    return all(line.bottom > top and line.top < bottom for line in lines)


def size_problems(body: list[list[Line]], large_print: bool) -> list[str]:
    """Body text (the size most letters have, footer left out) below the minimum."""
    sizes: Counter[float] = Counter()
    for page in body:
        for line in page:
            sizes[line.size] += len(INVISIBLE.sub("", line.text))
    if not sizes:
        return []
    size = sizes.most_common(1)[0][0]
    least = LARGE_PRINT_MIN_PT if large_print else BODY_MIN_PT
    if size < least - 0.05:
        kind = "large print body text" if large_print else "body text"
        return [f"{kind} is {size:g} pt, below {least:g} pt"]
    return []


def _shown(text: str, most: int = 30) -> str:
    return repr(text[:most] + ("…" if len(text) > most else ""))
