"""The proof sheet: every proofed leaflet as a row of small page images, problems in red.

Pages are drawn with pypdfium2 (in the workers), and the sheet is a plain HTML page that
WeasyPrint lays out on A4, reading only the built-in fonts and the images' ``data:`` URIs.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime
from html import escape
from itertools import groupby

THUMBNAIL_HEIGHT_PX = 300
"""Height of a page image: enough to see the layout, and the big words, at a glance."""

SHEET_CSS = """
@font-face { font-family: "Sheet"; src: url(fonts/NotoSans-Regular.ttf); }
@font-face { font-family: "Sheet"; font-weight: 700; src: url(fonts/NotoSans-Bold.ttf); }
@page {
  size: A4 portrait; margin: 12mm 12mm 16mm;
  @bottom-left { content: "Proof sheet: " string(clinic); font: 8pt "Sheet"; color: #555; }
  @bottom-right {
    content: "page " counter(page) " of " counter(pages); font: 8pt "Sheet"; color: #555;
  }
}
body { font-family: "Sheet", sans-serif; font-size: 9pt; color: #1f2529; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 1mm; string-set: clinic content(); }
.summary { margin: 0 0 1mm; font-size: 10pt; }
.summary.bad { color: #b00020; font-weight: 700; }
.summary.good { color: #1b6e2a; font-weight: 700; }
.made { color: #555; margin: 0 0 5mm; }
h2 {
  font-size: 11pt; margin: 4mm 0 1.5mm; padding-bottom: 0.8mm; border-bottom: 0.6pt solid #999;
  break-after: avoid;
}
h2 .slug { font-weight: 400; color: #555; font-size: 9pt; }
.row { break-inside: avoid; width: 100%; border-collapse: collapse; margin: 0 0 2mm; }
.row td { vertical-align: top; padding: 1.5mm 0 1.5mm 2mm; }
.row .label { width: 38mm; border-left: 1.2mm solid #cfd8dc; }
.row.bad .label { border-left-color: #b00020; }
.label .kind { font-weight: 700; }
.label .count { color: #555; }
.label .ok { color: #1b6e2a; font-weight: 700; }
.label .bad { color: #b00020; font-weight: 700; }
.page { display: inline-block; margin: 0 2mm 1mm 0; text-align: center; font-size: 7pt;
  color: #555; vertical-align: bottom; }
.page img { display: block; height: 34mm; border: 0.5pt solid #888; margin-bottom: 0.5mm; }
.problems { margin: 1mm 0 0; padding: 0; list-style: none; color: #b00020; font-size: 8.5pt; }
.problems li { margin: 0 0 0.5mm; }
.label .cannot { color: #555; font-weight: 700; }
.problems li.cannot { color: #444; }
"""


def page_images(pdf: bytes, height: int = THUMBNAIL_HEIGHT_PX) -> list[bytes]:
    """Each page of ``pdf`` as a small PNG, ``height`` pixels tall."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    images = []
    try:
        for page in document:
            scale = height / page.get_height()
            image = page.render(scale=scale).to_pil().convert("RGB")
            data = io.BytesIO()
            # 64 colours keep text and brand colours clear at a third of the size.
            image.quantize(colors=64).save(data, "PNG", compress_level=6)
            images.append(data.getvalue())
            page.close()
    finally:
        document.close()
    return images


def sheet_html(report, made: datetime | None = None) -> str:
    """The proof sheet as HTML: a summary, then one row per leaflet, by treatment."""
    made = made or datetime.now().astimezone()
    count, failed = len(report.results), report.failed
    if failed:
        summary = (
            f'<p class="summary bad">{failed} of {count} leaflets have problems '
            f"({len(report.problems)} in all): see the rows marked in red.</p>"
        )
    else:
        summary = f'<p class="summary good">{count} leaflets, no problem found.</p>'
    if report.cannot_be_made:
        summary += (
            f'<p class="summary">{len(report.cannot_be_made)} cannot be made at all: the sheet '
            "is too small for the text (see the grey rows).</p>"
        )
    parts = [
        f"<h1>{escape(report.clinic)}</h1>",
        summary,
        f'<p class="made">Proof sheet made {made:%Y-%m-%d %H:%M} by handouts proof. '
        "Each row is one leaflet, its pages in order; look over each for what no check "
        "sees (pictures, wording, colours).</p>",
    ]
    for treatment, results in groupby(report.results, key=lambda result: result.item.treatment):
        results = list(results)
        title = report.titles.get(treatment, treatment)
        parts.append(f'<h2>{escape(title)} <span class="slug">{escape(treatment)}</span></h2>')
        parts.extend(_row(result) for result in results)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Proof sheet: {escape(report.clinic)}</title></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def _row(result) -> str:
    pages = "".join(
        f'<div class="page"><img src="data:image/png;base64,{base64.b64encode(image).decode()}" '
        f'alt="page {number}">{number}</div>'
        for number, image in enumerate(result.pages, start=1)
    )
    count = len(result.pages)
    state = (
        f'<span class="bad">{len(result.problems)} problem{"s" if len(result.problems) > 1 else ""}'
        "</span>"
        if result.problems
        else '<span class="ok">no problem</span>'
    )
    counted = f"{count} page{'s' if count != 1 else ''}" if count else "not made"
    if result.cannot:
        state = '<span class="cannot">cannot be made</span>'
    problems = "".join(f"<li>{escape(problem)}</li>" for problem in result.problems)
    if result.cannot:
        problems = f'<li class="cannot">{escape(result.cannot)}</li>'
    return (
        f'<table class="row{" bad" if result.problems else ""}"><tr>'
        f'<td class="label"><div class="kind">{escape(result.item.heading)}</div>'
        f'<div class="count">{counted}</div>{state}</td>'
        f'<td class="body"><div class="pages">{pages}</div>'
        f"{f'<ul class=problems>{problems}</ul>' if problems else ''}</td></tr></table>"
    )


def render_sheet(report, made: datetime | None = None) -> bytes:
    """The proof sheet as PDF bytes."""
    import weasyprint

    from .fetcher import KitURLFetcher
    from .paths import builtin_dir

    styles = builtin_dir("styles")
    fetcher = KitURLFetcher([styles])
    base = styles.as_uri() + "/"
    stylesheet = weasyprint.CSS(string=SHEET_CSS, base_url=base, url_fetcher=fetcher)
    document = weasyprint.HTML(string=sheet_html(report, made), base_url=base, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet])
