"""A leaflet's HTML and its PDF: fill the layout's template, render, check it fits.

``assemble_html`` makes the HTML of a leaflet (``Handout``); ``render_handout`` makes its
PDF and refuses a card or tri-fold that runs over its pages. Which of the two a caller
needs, and the history record, are decided in one place: ``handouts.leaflet``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html import unescape

from . import __version__
from .appointments import Appointment
from .choices import LAYOUT_INFO, Layout, Paper
from .config import Clinic
from .context import LeafletContext, RenderedBlock, leaflet_context
from .panel import EMPTY_PANEL, AppointmentPanel, personal_panel
from .paths import builtin_dir, file_url_path, inside, kit_fingerprint, resource_roots
from .templating import render_template

LEAFLET_TEXT = "leaflet-text"
"""Id of the element holding the leaflet's words (see leaflet.html)."""
LEAFLET_CLOSING = "leaflet-closing"
"""Id of what follows the last section: the QR box, disclaimer and small print."""
FITS = ("", "fit-tight", "fit-tight fit-tighter")
"""Classes put on ``<html>``, looser to tighter (see leaflet.css): a leaflet whose last
page would hold only a few lines is rendered again with the next, within house limits."""
LAST_RESORTS = ("fit-keep-closing", "fit-apart")
"""When no tighter fit saves the page (see leaflet.css): the closing part (QR box,
disclaimer, small print) takes the last lines of text with it; or the last section starts
the last page. Either way that page carries text, not a few lines or only small print."""
ORPHAN_SHARE = 0.26
"""A last page whose words end above this share of its height is nearly empty."""


@dataclass
class Handout:
    """The result of a build: the document and what went into it."""

    treatments: list[str]
    paper: Paper
    language: str
    html: str
    blocks: list[RenderedBlock]
    input_key: str
    """Digest of the HTML and every file it draws on: equal keys give PDFs that look and
    read the same (a stamped copy's bytes differ from a full render's)."""
    stylesheets: list[str]
    """``file:`` URLs of the stylesheets the HTML links, in cascade order."""
    title: str = ""
    """The document's title, as in its metadata."""
    layout: str = "leaflet"
    large_print: bool = False
    flap_sections: int = 0
    """On a tri-fold, how many of the first sections are on the inside flap."""
    context: LeafletContext | None = field(default=None, repr=False, compare=False)
    """What it was assembled from: a card or tri-fold is fitted from it (small_layouts)."""


def assemble_html(
    treatment_slugs: Sequence[str],
    clinic: Clinic,
    paper: Paper | None = None,
    language: str | None = None,
    appointment: Appointment | None = None,
    large_print: bool = False,
    layout: Layout = "leaflet",
    flap_sections: int = 2,
) -> Handout:
    """Build the leaflet's HTML for ``treatment_slugs`` (one combined leaflet).

    With an ``appointment`` it is a personal copy with a "Your appointment" panel;
    ``large_print`` sets body text at 16pt in one column; ``layout`` picks the leaflet,
    the tri-fold or the one-page card, and with it the blocks that go in.
    """
    context = leaflet_context(
        treatment_slugs, clinic, paper, language, large_print, layout, flap_sections
    )
    if not appointment:
        return handout_from(context)
    panel = personal_panel(appointment, context.clinic, context.labels, context.language)
    return personal_handout(context, panel)


def shared_handout(context: LeafletContext) -> Handout:
    """The leaflet of personal copies with an empty panel.

    Its input key stands for everything in a copy but the panel's words.
    """
    return handout_from(replace(context, appointment=EMPTY_PANEL))


def personal_key(shared_key: str, panel: AppointmentPanel) -> str:
    """Input key of a personal copy: its leaflet's key and its panel's words."""
    return hashlib.sha256(f"{shared_key}\0{panel!r}".encode()).hexdigest()


def personal_handout(
    context: LeafletContext, panel: AppointmentPanel, shared_key: str | None = None
) -> Handout:
    """A personal copy in full; ``shared_key`` saves working out its leaflet's key again."""
    shared_key = shared_key or shared_handout(context).input_key
    handout = handout_from(replace(context, appointment=panel))
    return replace(handout, input_key=personal_key(shared_key, panel))


def handout_from(context: LeafletContext) -> Handout:
    """Fill the layout's page template with ``context``."""
    html = render_template(context.clinic, LAYOUT_INFO[context.layout].template, context.as_dict())
    return Handout(
        input_key=_input_key(html, context.stylesheets, context.clinic),
        stylesheets=context.stylesheets,
        title=context.title,
        treatments=[treatment.slug for treatment in context.treatments],
        paper=context.paper,
        language=context.language,
        html=html,
        blocks=[block for treatment in context.treatments for block in treatment.blocks],
        layout=context.layout,
        large_print=context.large_print,
        flap_sections=context.flap_sections,
        context=context,
    )


def render_handout(handout: Handout, clinic: Clinic, fit: str | None = None):
    """Render an assembled leaflet to PDF bytes (a ``RenderedPDF``).

    A card or tri-fold is fitted to its sheet by ``small_layouts`` (short versions of
    blocks where the full text does not fit, or an error naming the block). A leaflet
    whose last page would be nearly empty is tightened (``fitted_render``), unless a
    ``fit`` (one of ``FITS``) is given.
    """
    if LAYOUT_INFO[handout.layout].page_limit is not None and handout.context is not None:
        from .small_layouts import render_small_layout

        return render_small_layout(handout.context, clinic)
    if fit is not None:
        return _render(with_fit(handout.html, fit), handout, clinic)
    return fitted_render(lambda fit: render_handout(handout, clinic, fit))[0]


def fitted_render(render_with: Callable[[str], object]):
    """The leaflet's PDF and its fit: the loosest of ``FITS`` unless that leaves a nearly
    empty last page, then the first tighter one that saves a page; failing that, the last
    resort (``LAST_RESORTS``) that fills the last page, or else the one that fills it most.

    ``render_with(fit)`` renders the leaflet with a fit. A personal copy's full render and
    the slotted leaflet it is stamped on both choose here, from the same page content, so
    a copy takes the same fit whether it is stamped or rendered in full.
    """
    pdf = render_with(FITS[0])
    if not nearly_empty_last_page(pdf):
        return pdf, FITS[0]
    for tighter in FITS[1:]:
        candidate = render_with(tighter)
        if candidate.pages < pdf.pages:
            return candidate, tighter
    fallback = (pdf, FITS[0])
    for fit in LAST_RESORTS:
        apart = render_with(fit)
        if apart.pages != pdf.pages:
            continue
        if not nearly_empty_last_page(apart):
            return apart, fit
        if (last_page_fill(apart) or 0) > (last_page_fill(fallback[0]) or 0):
            fallback = (apart, fit)
    return fallback


def with_fit(html: str, fit: str) -> str:
    """``html`` with the fit's classes on its ``<html>`` element."""
    tag = re.search(r"<html\b[^>]*>", html, re.IGNORECASE) if fit else None
    if tag is None:
        return html
    old = tag.group(0)
    if re.search(r'\sclass="', old):
        new = re.sub(r'\sclass="', f' class="{fit} ', old, count=1)
    else:
        new = old[:5] + f' class="{fit}"' + old[5:]
    return html[: tag.start()] + new + html[tag.end() :]


def nearly_empty_last_page(pdf) -> bool:
    """Whether the leaflet's words end high on its last page, or that page holds only what
    follows the last section (more than one page only).

    A kit template without ``#leaflet-text`` is left as it is.
    """
    fill = last_page_fill(pdf)
    if fill is None:
        return False
    last = pdf.pages - 1
    text, closing = pdf.anchors[last].get(LEAFLET_TEXT), pdf.anchors[last].get(LEAFLET_CLOSING)
    closing_only = text is not None and closing is not None and closing[1] - text[1] < 16
    return closing_only or fill < ORPHAN_SHARE


def last_page_fill(pdf) -> float | None:
    """Where the leaflet's words end on its last page, as a share of the page's height
    (None for a one-page leaflet or a kit template without ``#leaflet-text``)."""
    if pdf.pages < 2 or len(pdf.ends) < pdf.pages:
        return None
    end = pdf.ends[pdf.pages - 1].get(LEAFLET_TEXT)
    if end is None or not pdf.last_page_height:
        return None
    return end[3] / pdf.last_page_height


def _render(html: str, handout: Handout, clinic: Clinic):
    from .render import render_pdf  # WeasyPrint loads only when a PDF is made

    return render_pdf(
        html,
        clinic.kit_dir or builtin_dir("templates"),
        resource_roots(clinic.kit_dir),
        handout.stylesheets,
    )


FILE_URL = re.compile(r'(?:src|href)="(file:[^"]+)"')


def _input_key(html: str, stylesheets: list[str], clinic: Clinic) -> str:
    """Digest of the HTML and the bytes of every file it draws on.

    That is the stylesheets, the logo and font and every picture the HTML links, by
    content, and every other kit file (what kit CSS or templates point to) by name, size
    and time.
    """
    digest = hashlib.sha256(f"handouts {__version__}\0{html}".encode())
    paths = [file_url_path(url) for url in stylesheets]
    paths += [clinic.logo_path, clinic.font_path]
    paths += [file_url_path(unescape(url)) for url in FILE_URL.findall(html)]
    roots = resource_roots(clinic.kit_dir)
    for path in dict.fromkeys(paths):
        # Only files a render may read: one outside the kit is refused by the fetcher.
        if path is not None and path.is_file() and inside(path.resolve(), roots):
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
    digest.update(kit_fingerprint(clinic.kit_dir).encode())
    return digest.hexdigest()
