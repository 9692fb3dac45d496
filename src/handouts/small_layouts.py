"""Fit a tri-fold or a card on its sheet: the full text where it fits, short versions where not.

A card must fit its page (both sides of one sheet on A5 and in large print); a tri-fold its two
pages, with the first sections on the outside (under the cover and on the flap) and the
rest inside. ``render_small_layout`` tries the full text first, then the short versions
of the blocks that have one (``<!-- short -->`` in the block's Markdown, see
``handouts.content``), the longest first, and on a tri-fold moves sections between the
outside and the inside until both fit. Only when nothing fits is it ``DoesNotFit``.
"""

from __future__ import annotations

from dataclasses import replace

from .build import FITS, Handout, handout_from, with_fit
from .choices import LAYOUT_INFO, PAPER_NAMES
from .config import Clinic
from .content import ContentLibrary
from .context import LeafletContext, RenderedBlock, RenderedTreatment, render_block, text_direction
from .errors import DoesNotFit, SheetTooSmall
from .paths import builtin_dir, resource_roots

OUTSIDE = "outside-flow"
"""Id of the tri-fold's outside flow: the cover and the sections after it (trifold.html)."""
INSIDE = "trifold-inside"
BACK_DETAILS = "back-details"
SMALL_PRINT = "back-small-print"
BACK_PANEL_ID = "back-panel"


def render_small_layout(context: LeafletContext, clinic: Clinic):
    """The card or tri-fold of ``context`` as a ``RenderedPDF`` that fits its sheet."""
    shorter = _shortening_steps(context)
    shortest = replace(context, treatments=shorter[-1] or context.treatments)
    _refuse_if_sheet_too_small(context, shortest, clinic)
    problem, outside = "", None
    for step in shorter:
        attempt = replace(context, treatments=step) if step is not None else context
        pdf, problem, outside = _fit(attempt, clinic, outside)
        if not problem:
            return pdf
    raise DoesNotFit(_refusal(context, problem, any(s is not None for s in shorter)))


def _refuse_if_sheet_too_small(context: LeafletContext, shortest: LeafletContext, clinic: Clinic):
    """``SheetTooSmall`` when even the shortest text at the leanest spacing needs more room
    than the sheet has: measured once, before any arrangement is tried."""
    if context.layout == "trifold" and context.large_print:
        needed = _panels_needed(shortest, clinic)
        if needed > TEXT_PANELS:
            raise SheetTooSmall(_too_small(context, needed))
    all_short = all(s is not o for s, o in zip(_blocks(shortest), _blocks(context), strict=True))
    if context.layout == "card" and context.large_print and context.paper == "a5" and all_short:
        # Every section is at its shortest: only then is the sheet, not the text, too small.
        sides = _sides_needed(shortest, clinic)
        limit = LAYOUT_INFO["card"].pages(True, "a5")
        if sides > limit:
            raise SheetTooSmall(_too_small_card(context, sides, limit))


def _sides_needed(context: LeafletContext, clinic: Clinic) -> float:
    """How many pages a card's sections fill at its leanest spacing, with no page limit."""
    handout = handout_from(context)
    pdf = _render(replace(handout, html=with_fit(handout.html, CARD_FITS[-1])), clinic)
    last = _section_id(_blocks(context)[-1])
    page, (_left, _top, _right, bottom) = pdf.end(last) or (pdf.pages - 1, (0, 0, 0, 0))
    return page + min(1.0, max(0.0, bottom / _page_height(context)))


def _page_height(context: LeafletContext) -> float:
    """The portrait page's height in CSS pixels."""
    return {"a4": 297, "letter": 279.4, "a5": 210}[context.paper] / 25.4 * 96


def _too_small_card(context: LeafletContext, sides: float, limit: int) -> str:
    slugs = ", ".join(treatment.slug for treatment in context.treatments)
    paper = PAPER_NAMES[context.paper]
    return (
        f"{slugs}: cannot be a two-sided large-print card ({paper}): at 16 pt its sections "
        f"fill about {sides:.1f} {paper} sides even with their short versions, and a card has "
        f"{limit}; print the large-print card on A4 or US Letter, or the large-print leaflet"
    )


CARD_FITS = (*FITS, f"{FITS[-1]} fit-lean", f"{FITS[-1]} fit-lean fit-leaner")
"""A card's spacing, looser to leaner (see layout-card.css): after the house's tighter
spacing, the "When to call us" box drops its opening reassurance, then the card its QR box
and the header its website, before any section is shortened. The phone, what to do when
the clinic is closed and every section's safety text always stay."""

TEXT_PANELS = 5
"""Panels of a tri-fold that can carry sections: the flap, the three inside and (below its
title) the cover. Text needing more than this cannot be made into a tri-fold at all."""


def _panels_needed(context: LeafletContext, clinic: Clinic) -> float:
    """How many tri-fold panels the sections fill, all of them set inside, one after another.

    Rendered with the inside's columns filled in turn (``panel-count``, not balanced), so
    the last page shows how far into which panel the text runs.
    """
    handout = handout_from(replace(context, flap_sections=0))
    pdf = _render(replace(handout, html=with_fit(handout.html, "panel-count")), clinic)
    page, (left, _top, _right, bottom) = pdf.end(INSIDE) or (pdf.pages - 1, (0, 0, 0, 0))
    panel_width = _page_width(context) / 3
    text_height = ((210 if context.paper == "a4" else 215.9) - 18) / 25.4 * 96
    column = min(2, max(0, int(left // panel_width)))
    if context.direction == "rtl":  # right to left, the first panel is on the right
        column = 2 - column
    return 3 * (page - 1) + column + min(1.0, max(0.0, (bottom - 9 / 25.4 * 96) / text_height))


def _too_small(context: LeafletContext, needed: float) -> str:
    """Why a large-print tri-fold cannot be made: the sheet, not one section, is too small."""
    slugs = ", ".join(treatment.slug for treatment in context.treatments)
    return (
        f"{slugs}: cannot be a large-print tri-fold ({PAPER_NAMES[context.paper]}): at 16 pt "
        f"its sections fill about {needed:.1f} panels even with their short versions, and a "
        f"tri-fold has room for text on {TEXT_PANELS}; print the large-print leaflet or the "
        "two-sided large-print card, which hold all of it"
    )


def _render(handout: Handout, clinic: Clinic):
    from .render import render_pdf  # WeasyPrint loads only when a PDF is made

    return render_pdf(
        handout.html,
        clinic.kit_dir or builtin_dir("templates"),
        resource_roots(clinic.kit_dir),
        handout.stylesheets,
    )


def _fit(context: LeafletContext, clinic: Clinic, outside: int | None = None):
    """A PDF of ``context`` that fits, with ``""``; or the last try with what does not fit.

    A tri-fold's search for how many sections go outside starts at ``outside`` (the
    count the last, longer text settled on), else at the context's ``flap_sections``.
    Returns the PDF, the problem, and that count (0 for a card).
    """
    if context.layout != "trifold":
        return (*_fit_card(context, clinic), 0)
    # At least one section stays inside: a sheet that opens on nothing but small print
    # looks unfinished, however short the text.
    sections = max(0, len(context.treatments[0].blocks) - 1)
    start = context.flap_sections if outside is None else outside
    outside = min(max(start, 0), sections)
    tried: dict[int, tuple[object, str, bool]] = {}
    while outside not in tried:
        pdf = _render(handout_from(replace(context, flap_sections=outside)), clinic)
        outside_fits = _outside_fits(context, pdf, outside)
        tried[outside] = (pdf, _trifold_problem(context, pdf, outside), outside_fits)
        if outside_fits and outside < sections:
            outside += 1  # the outside has room: give it one more section
        elif not outside_fits and outside > 0:
            outside -= 1
    # The most sections outside that still fit there; the inside must then hold the rest.
    fitting = [count for count, (_, _, fits) in tried.items() if fits]
    best = max(fitting) if fitting else min(tried)
    pdf, problem, _ = tried[best]
    return pdf, problem, best


def _fit_card(context: LeafletContext, clinic: Clinic):
    """The card in the loosest of ``CARD_FITS`` that fits, or its leanest try and why not.

    Each spacing is leaner than the one before, so a card that does not fit the leanest
    fits none: the loosest is tried, then the leanest, then the ones between, halving.
    """
    handout = handout_from(context)

    def attempt(level: int):
        pdf = _render(replace(handout, html=with_fit(handout.html, CARD_FITS[level])), clinic)
        return pdf, _card_problem(context, pdf)

    loosest = attempt(0)
    if not loosest[1]:
        return loosest
    best = attempt(len(CARD_FITS) - 1)
    if best[1]:
        return best
    low, high = 1, len(CARD_FITS) - 1  # the loosest that fits is in low..high
    while low < high:
        middle = (low + high) // 2
        tried = attempt(middle)
        if tried[1]:
            low = middle + 1
        else:
            high, best = middle, tried
    return best


def _blocks(context: LeafletContext) -> list[RenderedBlock]:
    return [block for treatment in context.treatments for block in treatment.blocks]


def _section_id(block: RenderedBlock) -> str:
    """The id of a block's section (see partials/section.html)."""
    return block.key.replace("/", "-")


def _ends_on(pdf, page: int, element_id: str, width_px: float | None = None) -> bool:
    """Whether the element's content ends on ``page`` (0-based), inside the page's width."""
    end = pdf.end(element_id)
    if end is None or end[0] != page:
        return False
    left, _top, right, _bottom = end[1]
    return width_px is None or (left >= 0 and right <= width_px)


def _page_width(context: LeafletContext) -> float:
    """The landscape sheet's width in CSS pixels (96 per inch)."""
    return (297 if context.paper == "a4" else 279.4) / 25.4 * 96


def _outside_fits(context: LeafletContext, pdf, outside: int) -> bool:
    """The cover, the sections after it on the flap, and the back panel fit page 1."""
    width = _page_width(context)
    sections = [_section_id(block) for block in context.treatments[0].blocks[:outside]]
    if not all(_ends_on(pdf, 0, name, width) for name in [*sections, OUTSIDE]):
        return False
    return _back_fits(pdf)


def _back_fits(pdf) -> bool:
    """The back panel's details end above its small print (or its foot, in large print)."""
    end = pdf.end(BACK_DETAILS)
    if end is None or end[0] != 0:
        return False
    first_page = pdf.anchors[0] if pdf.anchors else {}
    below = first_page.get(SMALL_PRINT)
    limit = below[1] if below else first_page.get(BACK_PANEL_ID, (0, 0, 0, 0))[3]
    return end[1][3] <= limit


def _trifold_problem(context: LeafletContext, pdf, outside: int) -> str:
    """What does not fit on the tri-fold with ``outside`` sections outside, or ``""``."""
    width = _page_width(context)
    first = context.treatments[0]
    for block in first.blocks[:outside]:
        if not _ends_on(pdf, 0, _section_id(block), width):
            return block.key
    if not _back_fits(pdf):
        return BACK_PANEL
    inside = [b for b in _blocks(context) if b not in first.blocks[:outside]]
    for block in inside:
        if not _ends_on(pdf, 1, _section_id(block)):
            return block.key
    if pdf.pages > 2 or not _ends_on(pdf, 1, INSIDE):
        return f"{context.treatments[-1].slug}: the last part"
    return ""


def _card_problem(context: LeafletContext, pdf) -> str:
    limit = LAYOUT_INFO[context.layout].pages(context.large_print, context.paper) or pdf.pages
    for block in _blocks(context):
        if not any(_ends_on(pdf, page, _section_id(block)) for page in range(limit)):
            return block.key
    if pdf.pages > limit:  # the sections fit, what follows them does not
        return f"{context.treatments[-1].slug}: the 'When to call us' box and QR code"
    return ""


def _shortening_steps(context: LeafletContext) -> list[list[RenderedTreatment] | None]:
    """The treatments as printed at each step: full text, then ever more short versions.

    Blocks are shortened one at a time, the one whose short version saves most first
    (at most four steps, so a tight fit takes a few renders, not one per block).
    """
    library = ContentLibrary(context.clinic.kit_dir)
    short: dict[str, RenderedBlock] = {}
    savings: dict[str, int] = {}
    for treatment in context.treatments:
        loaded = library.treatment(treatment.slug, context.content_language)
        for rendered in treatment.blocks:
            block = library.block(loaded, rendered.name, context.content_language)
            if block.short_body is None:
                continue
            short[rendered.key] = render_block(
                block.shortened(), context.clinic, text_direction(block.language)
            )
            savings[rendered.key] = len(block.body) - len(block.short_body)
    order = sorted(short, key=lambda key: -savings[key])
    if not order:
        return [None]
    counts = sorted({max(1, len(order) * part // 4) for part in (1, 2, 3, 4)})
    steps: list[list[RenderedTreatment] | None] = [None]
    for count in counts:
        chosen = set(order[:count])
        steps.append(
            [
                replace(
                    treatment,
                    blocks=[
                        short.get(b.key, b) if b.key in chosen else b for b in treatment.blocks
                    ],
                )
                for treatment in context.treatments
            ]
        )
    return steps


BACK_PANEL = "the back panel (the clinic's details and small print)"


def _refusal(context: LeafletContext, where: str, shortened: bool) -> str:
    """One line: what does not fit, on what, and what the kit's author can do."""
    info = LAYOUT_INFO[context.layout]
    described = info.described_as(context.large_print, context.paper)
    sheet = f"{described} ({PAPER_NAMES[context.paper]})"
    if context.layout == "trifold" and context.large_print:
        sheet = f"the large-print tri-fold sheet ({PAPER_NAMES[context.paper]})"
    tried = " even with the short versions of its sections" if shortened else ""
    advice = (
        "shorten it or give it a short version (a '<!-- short -->' line, then the shorter "
        f"text), or leave it out of the {context.layout} with 'layouts:' in its front matter"
    )
    if where == BACK_PANEL:  # no section's text: the clinic's own words from clinic.yaml
        tried = ""
        advice = "shorten the clinic's address, emergency words or disclaimer in clinic.yaml"
    if context.large_print and context.layout == "trifold":
        advice += "; the large-print leaflet and card have room for all of it"
    return f"{where}: does not fit on {sheet}{tried}; {advice}"
