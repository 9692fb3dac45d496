"""HTML to PDF with WeasyPrint: only safe resources, and any logged error fails the build."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import weasyprint
from weasyprint.urls import FatalURLFetchingError

from .errors import RenderError
from .fetcher import KitURLFetcher

RENDER_OPTIONS: dict[str, object] = {
    "pdf_variant": None,  # tagged PDF/UA output arrives with the accessibility work
    "pdf_tags": True,  # tag structure so screen readers follow the reading order
    "optimize_images": True,  # smaller attachments when leaflets are emailed
    "presentational_hints": False,  # only our stylesheets decide how it looks
    "full_fonts": False,  # subset fonts: small files, still fully embedded
}
"""Options passed straight to ``weasyprint.Document.write_pdf``."""


@dataclass(frozen=True)
class RenderedPDF:
    """PDF bytes and how many pages they hold."""

    data: bytes
    pages: int


class _ProblemLog(logging.Handler):
    """Collect what WeasyPrint logs that would leave a leaflet broken.

    Errors (missing or unreadable images, stylesheets) and the warning for a font
    that cannot be loaded count as problems. A debug record carrying the exception
    that follows a problem adds its reason.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.problems: list[str] = []
        self._explained = True

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR or message.startswith("Font-face"):
            self.problems.append(message.rstrip(": "))
            self._explained = False
        elif record.exc_info and record.exc_info[1] and not self._explained:
            error = record.exc_info[1]
            self.problems[-1] += f" ({error.__cause__ or error})"
            self._explained = True


def render_pdf(html: str, base_url: Path, roots: list[Path]) -> RenderedPDF:
    """Render assembled leaflet HTML to PDF bytes.

    ``roots`` are the only folders WeasyPrint may read from. Links that would embed
    a file as a PDF attachment are dropped before the PDF is written.
    """
    problems = _ProblemLog()
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.addHandler(problems)
    logger.setLevel(logging.DEBUG)
    try:
        document = weasyprint.HTML(
            string=html,
            base_url=base_url.as_uri() + "/",
            url_fetcher=KitURLFetcher(roots),
        ).render()
        document.metadata.attachments.clear()
        for page in document.pages:
            page.links[:] = [link for link in page.links if link[0] != "attachment"]
        pdf = document.write_pdf(**RENDER_OPTIONS)
    except FatalURLFetchingError as error:
        reason = error.__cause__ or error
        raise RenderError(f"cannot build the leaflet: {reason}") from None
    finally:
        logger.removeHandler(problems)
        logger.setLevel(level)
    if problems.problems:
        raise RenderError(f"cannot build the leaflet: {problems.problems[0]}")
    return RenderedPDF(pdf, len(document.pages))
