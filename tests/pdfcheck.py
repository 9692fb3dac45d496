"""Read a generated PDF back: text, pages, size, metadata, fonts."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

POINTS_PER_MM = 72 / 25.4
PAPER_MM = {"a4": (210, 297), "letter": (215.9, 279.4), "a5": (148, 210)}


def reader(pdf: Path | bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf) if isinstance(pdf, bytes) else pdf)


def text(pdf: Path | bytes) -> str:
    """All page text, whitespace folded so phrases that wrap still match."""
    pages = reader(pdf).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def page_size_mm(pdf: Path | bytes, index: int = 0) -> tuple[float, float]:
    box = reader(pdf).pages[index].mediabox
    return round(float(box.width) / POINTS_PER_MM, 1), round(float(box.height) / POINTS_PER_MM, 1)


def fonts(pdf: Path | bytes) -> dict[str, bool]:
    """Every font used on any page (or in a form it draws), mapped to whether it is embedded."""
    found: dict[str, bool] = {}

    def visit(resources) -> None:
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = embedded
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                visit(xobject["/Resources"].get_object())

    for page in reader(pdf).pages:
        visit(page.get("/Resources", {}))
    return found


def has_attachments(pdf: Path | bytes) -> bool:
    """True if the PDF embeds any file, by name tree or by annotation."""
    document = reader(pdf)
    names = document.trailer["/Root"].get("/Names", {})
    if "/EmbeddedFiles" in names:
        return True
    for page in document.pages:
        for annotation in page.get("/Annots", []) or []:
            if annotation.get_object().get("/Subtype") == "/FileAttachment":
                return True
    return False


@dataclass(frozen=True)
class TextRun:
    """A piece of text on a page: baseline from the top of the page and size, in points."""

    baseline: float
    size: float
    text: str


def text_runs(pdf: Path | bytes, index: int) -> list[TextRun]:
    """The text runs of page ``index`` with their position and size in points."""
    runs: list[TextRun] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            scale = abs(cm[3]) or 1
            runs.append(
                TextRun(round(tm[5] * scale, 1), round(font_size * abs(tm[3]) * scale, 1), text)
            )

    reader(pdf).pages[index].extract_text(visitor_text=visit)
    return runs


def body_size(runs: list[TextRun]) -> float:
    """The most common text size on a page, by characters: the body text."""
    weights: dict[float, int] = {}
    for run in runs:
        weights[run.size] = weights.get(run.size, 0) + len(run.text)
    return max(weights, key=weights.get)


FOOTER_MAX_PT = 8.5


def assert_footer_clear_of_body(pdf: Path | bytes, footer_max_pt: float = FOOTER_MAX_PT) -> None:
    """On every page, the lowest body line ends above the footer's first line."""
    for index in range(len(reader(pdf).pages)):
        runs = text_runs(pdf, index)
        half = float(reader(pdf).pages[index].mediabox.height) / 2
        footer = [run for run in runs if run.size <= footer_max_pt and run.baseline > half]
        body = [run for run in runs if run.size > footer_max_pt]
        assert footer and body
        footer_top = min(run.baseline - run.size for run in footer)
        body_bottom = max(run.baseline + 0.3 * run.size for run in body)
        assert body_bottom < footer_top, f"page {index + 1}: body text runs into the footer"


def structure(pdf: Path | bytes) -> list[tuple[str, str | None]]:
    """Every element of the tagged structure tree, in reading order: (type, alt text)."""
    found: list[tuple[str, str | None]] = []

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "get") or node.get("/Type") == "/MCR":
            return
        if "/S" in node:
            alt = node.get("/Alt")
            found.append((str(node["/S"]).lstrip("/"), str(alt) if alt is not None else None))
        if "/K" in node:
            walk(node["/K"])

    walk(reader(pdf).trailer["/Root"]["/StructTreeRoot"])
    return found


def qr_codes(pdf: Path | bytes, index: int, dpi: int = 150) -> list[str]:
    """The text of every QR code on page ``index``, read from the page as an image."""
    import io

    import pypdfium2
    import zxingcpp

    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    document = pypdfium2.PdfDocument(io.BytesIO(data))
    try:
        image = document[index].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    return [found.text for found in zxingcpp.read_barcodes(image)]
