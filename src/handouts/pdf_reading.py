"""A made PDF's letters and graphics with their boxes, as ``proof_checks`` reads them.

PDFium (pypdfium2) reads each page: every letter drawn (its text, size and box), every
picture and every path (line, rectangle or curve), and the page's trim box. Boxes are in
points from the page's top-left corner (``x0``, ``top``, ``x1``, ``bottom``), so a
leaflet's checks need no PDF coordinates of their own. Objects inside form XObjects are
placed on the page through their form's matrix.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass, field

import pypdfium2
import pypdfium2.raw as pdfium_c


@dataclass(frozen=True)
class Mark:
    """One thing drawn: a letter (``text`` set) or a graphic, and its box on the page."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str = ""
    size: float = 0.0
    curved: bool = False
    """A path with a curved segment (a rounded box, a dot), not a line or rectangle."""


@dataclass
class PageMarks:
    """What one page draws."""

    page_number: int
    """1-based."""
    width: float
    height: float
    trim: tuple[float, float, float, float]
    """The trim box (the media box when none is set), top-left coordinates."""
    chars: list[Mark] = field(default_factory=list)
    images: list[Mark] = field(default_factory=list)
    paths: list[Mark] = field(default_factory=list)

    @property
    def curves(self) -> list[Mark]:
        return [path for path in self.paths if path.curved]


def read_pages(pdf: bytes) -> list[PageMarks]:
    """Every page of ``pdf``, read."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [_read_page(document[index], index + 1) for index in range(len(document))]
    finally:
        document.close()


def _read_page(page, number: int) -> PageMarks:
    width, height = page.get_size()
    left, bottom, right, top = page.get_trimbox()
    media_left, _media_bottom, _media_right, media_top = page.get_mediabox()
    origin = (media_left, media_top)
    read = PageMarks(
        number,
        width,
        height,
        (left - origin[0], origin[1] - top, right - origin[0], origin[1] - bottom),
    )
    textpage = page.get_textpage()
    try:
        read.chars = _letters(textpage, origin)
    finally:
        textpage.close()
    for kind, bounds, curved in _graphics(page.get_objects(max_depth=0), IDENTITY):
        mark = _mark(bounds, origin, curved=curved)
        (read.images if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE else read.paths).append(mark)
    page.close()
    return read


def _letters(textpage, origin) -> list[Mark]:
    raw = textpage.raw
    matrix = pdfium_c.FS_MATRIX()
    letters = []
    for index in range(textpage.count_chars()):
        if pdfium_c.FPDFText_IsGenerated(raw, index) == 1:
            continue  # a space or line end PDFium made up: nothing was drawn
        text = chr(pdfium_c.FPDFText_GetUnicode(raw, index))
        pdfium_c.FPDFText_GetMatrix(raw, index, matrix)
        # The font's size as drawn: its nominal size through the text's matrix.
        size = pdfium_c.FPDFText_GetFontSize(raw, index) * math.hypot(matrix.c, matrix.d)
        left, bottom, right, _top = textpage.get_charbox(index, loose=True)
        # A letter's box is one font size tall above its descent (PDF's own measure).
        letters.append(_mark((left, bottom, right, bottom + size), origin, text, size))
    return letters


IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _graphics(objects, matrix):
    """(kind, page bounds, curved) for each picture and each part of a path (a path of
    many rectangles, such as a QR code, is that many parts), forms opened."""
    for obj in objects:
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            inner = _compose(tuple(obj.get_matrix().get()), matrix)
            children = (
                pypdfium2.PdfObject(pdfium_c.FPDFFormObj_GetObject(obj.raw, index), obj.page)
                for index in range(pdfium_c.FPDFFormObj_CountObjects(obj.raw))
            )
            yield from _graphics(children, inner)
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            yield obj.type, _transformed(obj.get_bounds(), matrix), False
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            placed = _compose(tuple(obj.get_matrix().get()), matrix)
            for points, curved in _subpaths(obj):
                xs, ys = zip(*(_apply(placed, point) for point in points), strict=True)
                yield obj.type, (min(xs), min(ys), max(xs), max(ys)), curved


def _subpaths(obj):
    """Each subpath of a path object: its points (the path's own space) and whether it curves."""
    x, y = ctypes.c_float(), ctypes.c_float()
    points: list[tuple[float, float]] = []
    curved = False
    for index in range(pdfium_c.FPDFPath_CountSegments(obj.raw)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj.raw, index)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO and len(points) > 1:
            yield points, curved
            points, curved = [], False
        elif kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            points = []
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        points.append((x.value, y.value))
        curved = curved or kind == pdfium_c.FPDF_SEGMENT_BEZIERTO
    if len(points) > 1:
        yield points, curved


def _compose(inner, outer):
    """The matrix that applies ``inner`` then ``outer`` (PDF's a b c d e f order)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


def _apply(matrix, point):
    a, b, c, d, e, f = matrix
    x, y = point
    return x * a + y * c + e, x * b + y * d + f


def _transformed(bounds, matrix):
    left, bottom, right, top = bounds
    points = [_apply(matrix, (x, y)) for x in (left, right) for y in (bottom, top)]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def _mark(bounds, origin, text: str = "", size: float = 0.0, curved: bool = False) -> Mark:
    left, bottom, right, top = bounds
    x, y = origin
    return Mark(left - x, y - top, right - x, y - bottom, text, size, curved)
