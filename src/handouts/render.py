"""HTML to PDF with WeasyPrint: only safe resources, and any logged error fails the build."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import weasyprint
from markupsafe import escape
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from .errors import RenderError
from .fetcher import KitURLFetcher
from .paths import builtin_dir, file_url_path, fingerprint
from .pdf_finishing import finish_pdf

Box = tuple[float, float, float, float]
BLANK_CATEGORIES = ("Zs", "Zl", "Zp", "Cc", "Cf")
"""Characters that print as blank space whichever font draws them."""

RENDER_OPTIONS: dict[str, object] = {
    "pdf_variant": "pdf/ua-1",  # tagged, with language and title: read aloud in order
    "pdf_tags": True,  # tag structure so screen readers follow the reading order
    "optimize_images": True,  # smaller attachments when leaflets are emailed
    "presentational_hints": False,  # only our stylesheets decide how it looks
    "full_fonts": False,  # subset fonts: small files, still fully embedded
}
"""Options passed straight to ``weasyprint.Document.write_pdf``."""


@dataclass(frozen=True, eq=False)
class RenderedPDF:
    """A laid-out leaflet: how many pages, where element ids land, and its PDF bytes.

    The bytes are written when first asked for (``data``): a fit tries several layouts of a
    leaflet and needs only their boxes, so only the one it keeps is written as a PDF.
    """

    pages: int
    anchors: tuple[dict[str, Box], ...] = ()
    """Per page: element id -> its border box (left, top, right, bottom) in CSS pixels
    from the page's top left corner (of the element's first piece on that page)."""
    ends: tuple[dict[str, Box], ...] = ()
    """Per page: element id -> the box of the last thing laid out inside the element on
    that page (the element's own box when it is empty): where its words end there, in
    whichever column. An element's last page is the last page it has an entry on."""
    last_page_height: float | None = None
    """The last page's height in CSS pixels."""
    written: bytes | None = field(default=None, repr=False)
    writer: Callable[[], bytes] | None = field(default=None, repr=False)
    """Writes the PDF of this layout (in the thread that laid it out), once."""

    @property
    def data(self) -> bytes:
        """The PDF's bytes, written now if they were not yet."""
        if self.written is None:
            if self.writer is None:
                raise ValueError("a RenderedPDF needs its bytes or a writer")
            object.__setattr__(self, "written", self.writer())
            object.__setattr__(self, "writer", None)  # the laid-out document can go
        return self.written

    def with_data(self, data: bytes) -> RenderedPDF:
        """The same layout with other bytes (a stamped copy of it)."""
        return replace(self, written=data, writer=None)

    def __getstate__(self) -> dict:
        """Pickled (sent between processes) with its bytes, not its writer."""
        self.data  # noqa: B018 - written before it leaves this process
        return {**self.__dict__, "writer": None}

    def end(self, element_id: str) -> tuple[int, Box] | None:
        """The last page (0-based) ``element_id`` is on, and where its content ends there."""
        for page in range(len(self.ends) - 1, -1, -1):
            if element_id in self.ends[page]:
                return page, self.ends[page][element_id]
        return None


class _ProblemLog(logging.Handler):
    """Collect what WeasyPrint logs that would leave a leaflet broken.

    Errors (missing or unreadable images, stylesheets) and the warning for a font
    that cannot be loaded count as problems. A debug record carrying the exception
    that follows a problem adds its reason.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.problems: list[str] = []
        self.not_drawn: list[str] = []
        """Letters drawn as an empty box (.notdef), as '"x" (U+0078)'."""
        self._explained = True

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(".notdef glyph rendered"):
            letter = message.rpartition(": ")[2]
            code = re.search(r"U\+([0-9A-F]+)", letter)
            blank = code and unicodedata.category(chr(int(code[1], 16))) in BLANK_CATEGORIES
            if not blank and letter not in self.not_drawn:  # a space is drawn blank anyway
                self.not_drawn.append(letter)
        elif record.levelno >= logging.ERROR or message.startswith("Font-face"):
            self.problems.append(message.rstrip(": "))
            self._explained = False
        elif record.exc_info and record.exc_info[1] and not self._explained:
            error = record.exc_info[1]
            self.problems[-1] += f" ({error.__cause__ or error})"
            self._explained = True


class _Resources:
    """What one process keeps between leaflets of one clinic: fonts, parsed styles, images.

    Keyed by the readable roots, so two clinics never share a "Clinic Font".
    """

    def __init__(self, roots: tuple[Path, ...]) -> None:
        self.fetcher = KitURLFetcher(list(roots))
        self.font_config = FontConfiguration()
        self.stylesheets: dict[tuple[str, int, int], weasyprint.CSS] = {}
        self.images: dict = {}
        self.renders = 0

    def stylesheet(self, url: str) -> weasyprint.CSS:
        """The parsed stylesheet at ``url``, parsed again only when the file changes."""
        info = file_url_path(url).stat()
        key = (url, info.st_mtime_ns, info.st_size)
        if key not in self.stylesheets:
            self.stylesheets[key] = weasyprint.CSS(
                url=url, url_fetcher=self.fetcher, font_config=self.font_config
            )
        return self.stylesheets[key]


_per_thread = threading.local()
"""Pango and fontconfig objects must not be shared between threads: one set per thread."""


def _resources(roots: tuple[Path, ...]) -> _Resources:
    """This thread's resources for ``roots``, made anew when a file in the kit changes.

    The built-in folders only change with a new version; the kit (the last root, when
    there is one) is fingerprinted, so an edited logo, font or imported stylesheet is
    never served from a cache.
    """
    builtin = {builtin_dir(name) for name in ("templates", "content", "styles")}
    key = (roots, tuple(fingerprint(root) for root in roots if root not in builtin))
    kept: dict[tuple, _Resources] = _per_thread.__dict__.setdefault("resources", {})
    if key not in kept:
        if len(kept) >= 4:  # a long-running server that sees many kits keeps the latest few
            kept.pop(next(iter(kept)))
        kept[key] = _Resources(roots)
    return kept[key]


def _forget_resources() -> None:
    _per_thread.__dict__.pop("resources", None)


def render_pdf(
    html: str,
    base_url: Path,
    roots: list[Path],
    stylesheets: Sequence[str] = (),
) -> RenderedPDF:
    """Lay out assembled leaflet HTML; its PDF bytes are written when first asked for.

    ``roots`` are the only folders WeasyPrint may read from. The ``stylesheets``
    linked from ``html`` are parsed once per process and reused (a link a kit template
    writes differently is simply loaded by WeasyPrint as usual). Links that would
    embed a file as a PDF attachment are dropped before the PDF is written.

    A letter drawn as an empty box fails the render: names and clinic details are
    checked against the bundled fonts beforehand, so a box means the fonts kept for
    this kit were lost. They are dropped and the leaflet rendered once more with fresh
    ones; only a box that comes back is an error.
    """
    resources = _resources(tuple(roots))
    fresh = resources.renders == 0
    resources.renders += 1
    with _watching() as problems:
        document = _lay_out(html, base_url, resources, stylesheets)
    _raise_problems(problems)

    def write() -> bytes:
        with _watching() as problems:
            pdf = document.write_pdf(**RENDER_OPTIONS)
        _raise_problems(problems)
        if problems.not_drawn:
            _forget_resources()
            letters = ", ".join(problems.not_drawn[:5])
            if fresh:  # fresh fonts drew a box too: the letter truly has no font
                raise RenderError(
                    f"cannot build the leaflet: no font draws {letters}; use the bundled fonts "
                    "(see 'The leaflet's font' in the README) or a kit font that has these "
                    "letters"
                )
            return render_pdf(html, base_url, roots, stylesheets).data
        return finish_pdf(pdf)

    return RenderedPDF(
        pages=len(document.pages),
        anchors=tuple(dict(page.anchors) for page in document.pages),
        ends=tuple(content_ends(page._page_box) for page in document.pages),
        last_page_height=document.pages[-1].height if document.pages else None,
        writer=write,
    )


@contextmanager
def _watching() -> Iterator[_ProblemLog]:
    """Collect what WeasyPrint logs while the block runs."""
    problems = _ProblemLog()
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.addHandler(problems)
    logger.setLevel(logging.DEBUG)
    try:
        yield problems
    finally:
        logger.removeHandler(problems)
        logger.setLevel(level)


def _raise_problems(problems: _ProblemLog) -> None:
    if problems.problems:
        _forget_resources()  # never keep a stylesheet whose loading went wrong
        raise RenderError(f"cannot build the leaflet: {problems.problems[0]}")


def _lay_out(html: str, base_url: Path, resources: _Resources, stylesheets):
    """WeasyPrint's laid-out document, with no attachments."""
    try:
        shared = []
        for url in stylesheets:
            link = f'<link rel="stylesheet" href="{escape(url)}">'
            if link in html:
                html = html.replace(link, "", 1)
                shared.append(resources.stylesheet(url))
        document = weasyprint.HTML(
            string=html, base_url=base_url.as_uri() + "/", url_fetcher=resources.fetcher
        ).render(stylesheets=shared, font_config=resources.font_config, cache=resources.images)
    except FatalURLFetchingError as error:
        reason = error.__cause__ or error
        raise RenderError(f"cannot build the leaflet: {reason}") from None
    document.metadata.attachments.clear()
    for page in document.pages:
        page.links[:] = [link for link in page.links if link[0] != "attachment"]
    return document


def content_ends(page_box) -> dict[str, Box]:
    """For each element with an id on a laid-out page, the box of its last descendant.

    Walks the page's boxes in document order (columns in order), so the last box seen
    inside an element is where its content ends on the page. This measures sections
    without empty marker elements, which a tagged PDF would carry as empty structure.
    """
    ends: dict[str, Box] = {}
    pending = [(page_box, ())]
    while pending:
        box, names = pending.pop()
        if box.style["anchor"]:
            names = (*names, box.style["anchor"])
        if names:
            left, top, width, height = box.hit_area()
            for name in names:
                ends[name] = (left, top, left + width, top + height)
        children = getattr(box, "children", ())
        pending.extend((child, names) for child in reversed(children))
    return ends
