"""The template context of a leaflet: its treatments' sections as safe HTML, and the clinic.

``leaflet_context`` gathers everything the page templates may use, apart from a personal
panel; kit templates get the same names (``LeafletContext``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_date
from markupsafe import Markup

from . import __version__
from .approvals import is_approved
from .choices import LAYOUT_INFO, Layout, Paper
from .clock import today
from .config import Clinic, primary_language
from .content import Block, ContentLibrary, Treatment
from .errors import ContentError, HandoutsWarning
from .glyphs import missing_characters
from .inputs import check_paper, parse_language
from .labels import fill, load_labels
from .markup import UnsafeMarkup, markdown_to_html
from .panel import AppointmentPanel
from .paths import display_path
from .qr import QrCode, qr_code
from .review_rule import apply_review_rule
from .templating import fill_placeholders, placeholder_values, template_folders
from .theme import brand_css, stylesheet_urls

if TYPE_CHECKING:
    from .stamping import AppointmentSlot


class TranslationWarning(HandoutsWarning):
    """Part of a leaflet is in English because its translation is missing."""


@dataclass(frozen=True)
class RenderedBlock:
    """A content block ready for the template: front matter plus safe HTML."""

    key: str
    name: str
    title: str
    html: Markup
    version: str
    reviewed: date
    review_due: date
    approved: bool
    language: str
    """Language of this section's text (English where a translation is missing)."""
    direction: str = "ltr"
    """``ltr`` or ``rtl``: the direction of this section's own language, so an English
    section in an Arabic leaflet still reads left to right (its ``dir``)."""
    overdue: bool = False
    """Its review date has passed: printed with a "Review overdue" tag."""


@dataclass(frozen=True)
class RenderedTreatment:
    """One treatment's title block and its rendered sections, in order."""

    slug: str
    title: str
    also_known_as: list[str]
    summary: str
    blocks: list[RenderedBlock]
    language: str
    """Language of title and summary."""
    direction: str = "ltr"
    """``ltr`` or ``rtl``: the direction of the title's and summary's language."""
    more_information: list[dict[str, str]] = field(default_factory=list)
    """Trusted patient pages: ``publisher``, ``title``, ``url`` (empty unless a web
    address) and ``site`` (its host as printed, without ``www.``)."""


@dataclass(frozen=True)
class LeafletContext:
    """Everything ``leaflet.html`` may use. Kit templates get the same names."""

    clinic: Clinic
    treatments: list[RenderedTreatment]
    title: str
    subject: str
    keywords: list[str]
    language: str
    """The leaflet's language code, e.g. ``en-GB`` or ``es`` (the ``lang`` of the page)."""
    direction: str
    """``ltr`` or ``rtl`` (Arabic, Hebrew...): the ``dir`` of the page."""
    content_language: str
    """The language part content files use, e.g. ``en`` for ``en-GB``."""
    labels: dict[str, str]
    """Fixed words in that language, from ``templates/labels/<language>.yaml``."""
    paper: Paper
    stylesheets: list[str]
    """``file:`` URLs of the stylesheets, built-in first, the kit's extra.css last."""
    brand_css: Markup
    """Brand colours, font and the localised page counter, as CSS."""
    logo_url: str | None
    callout_after: str
    """Key of the block after which the "When to call us" box goes."""
    content_versions: str
    """Footer line: each treatment's content version and review date."""
    appointment: AppointmentPanel | None = None
    """The "Your appointment" panel of a personal copy, or None."""
    appointment_slot: AppointmentSlot | None = None
    """In a shared leaflet for personal copies: the empty slot that stands for the panel."""
    panel_width: float | None = None
    """Set when the panel is laid out alone, on a page this wide (CSS pixels)."""
    qr: QrCode | None = None
    """The QR code: the treatment's video, else the clinic's booking page, or None."""
    large_print: bool = False
    """Body text 16pt, one column (``large-print.css`` is among the stylesheets)."""
    flap_sections: int = 0
    """Tri-fold only: the first sections, printed on the inside flap of the cover sheet."""
    layout: str = "leaflet"
    """``leaflet``, ``trifold`` or ``card`` (``layout-<name>.css`` styles the last two)."""
    kind_label: str = ""
    """The line above the title: "Patient information", or "Aftercare" on a card."""
    handouts_version: str = __version__

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def render_block(block: Block, clinic: Clinic, direction: str | None = None) -> RenderedBlock:
    """Fill placeholders, convert Markdown to safe HTML, and note approval.

    ``direction`` is that of the block's own language unless given.
    """
    direction = direction or text_direction(block.language)
    source = display_path(block.path)
    missing = missing_characters(block.body, clinic.font_path)
    if missing:
        line = block.body_first_line + block.body[: block.body.index(missing[0])].count("\n")
        raise ContentError(
            f"{source}: line {line}: no bundled font can print {' '.join(missing[:5])}; "
            "write it with other letters, or leave it out"
        )
    text, placeholders = fill_placeholders(
        block.body, placeholder_values(clinic, block.language), source, block.body_first_line
    )
    try:
        html = markdown_to_html(
            text,
            image_folder=block.path.parent,
            placeholders=placeholders,
            keep_values_ltr=direction == "rtl",
        )
    except UnsafeMarkup as error:  # a picture outside the kit, text nested too deeply
        raise ContentError(f"{source}: {error}") from None
    return RenderedBlock(
        key=block.key,
        name=block.name,
        title=block.meta.title,
        html=Markup(html),
        version=block.meta.version,
        reviewed=block.meta.reviewed,
        review_due=block.meta.review_due,
        approved=is_approved(clinic, block),
        language=block.language,
        direction=direction,
        overdue=block.meta.review_due < today(),
    )


def _content_versions(
    treatments: list[RenderedTreatment], labels: dict[str, str], language: str
) -> str:
    parts = []
    for treatment in treatments:
        versions = sorted(
            {block.version for block in treatment.blocks},
            key=lambda version: [
                (0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split(".")
            ],
        )
        version = versions[0]
        if len(versions) > 1:
            version = fill(labels["version_range"], first=versions[0], last=versions[-1])
        reviewed = min(block.reviewed for block in treatment.blocks)
        when = format_date(reviewed, format="long", locale=language.replace("-", "_"))
        parts.append(
            fill(labels["content_version"], title=treatment.title, version=version, date=when)
        )
    return " · ".join(parts)


def text_direction(language: str) -> str:
    """``rtl`` for languages written right to left (Arabic, Hebrew...), else ``ltr``."""
    order = Locale.parse(language.replace("-", "_")).character_order
    return "rtl" if order == "right-to-left" else "ltr"


def _qr(
    loaded: list[tuple[Treatment, list[Block]]], clinic: Clinic, labels: dict[str, str]
) -> QrCode | None:
    """One treatment with a video: its video; otherwise the booking page, if any."""
    if len(loaded) == 1 and loaded[0][0].meta.video_url:
        return qr_code(loaded[0][0].meta.video_url, labels["qr_video"], "video")
    if clinic.booking_url:
        return qr_code(clinic.booking_url, labels["qr_booking"])
    return None


def _warn_untranslated(treatment: RenderedTreatment, language: str) -> None:
    """One warning per treatment listing the sections that fell back to English."""
    content = primary_language(language)
    if content == "en":
        return
    english = [block.name for block in treatment.blocks if block.language != content]
    if treatment.language != content:
        english.insert(0, "title and summary")
    if not english:
        return
    name = Locale.parse(content).get_display_name("en")
    if len(english) == len(treatment.blocks) + 1:
        problem = f"no {name} translation yet; its text is in English"
    else:
        problem = f"no {name} translation of {', '.join(english)}; those parts are in English"
    warnings.warn(f"{treatment.slug}: {problem}", TranslationWarning, stacklevel=3)


def leaflet_context(
    treatment_slugs: Sequence[str],
    clinic: Clinic,
    paper: Paper | None = None,
    language: str | None = None,
    large_print: bool = False,
    layout: Layout = "leaflet",
    flap_sections: int = 2,
) -> LeafletContext:
    """Everything the templates need for a leaflet, apart from a personal panel."""
    if not treatment_slugs:
        raise ContentError("name at least one treatment")
    language = parse_language(language or clinic.language)
    content_language = primary_language(language)
    clinic = clinic.in_language(language)
    library = ContentLibrary(clinic.kit_dir)
    paper = paper or clinic.paper
    check_paper(layout, paper)
    labels = load_labels(template_folders(clinic), content_language)
    loaded: list[tuple[Treatment, list[Block]]] = []
    for slug in dict.fromkeys(treatment_slugs):
        treatment = library.treatment(slug, content_language)
        blocks = library.blocks(treatment, content_language)
        blocks = [block for block in blocks if layout in block.layouts]
        if not blocks:
            raise ContentError(
                f"{slug}: no section goes in the {layout} layout; add {layout} under "
                "'layouts:' in the front matter of the sections that should"
            )
        loaded.append((treatment, blocks))
    apply_review_rule([block for _, blocks in loaded for block in blocks], clinic)
    treatments = [
        RenderedTreatment(
            slug=treatment.slug,
            title=treatment.meta.title,
            also_known_as=treatment.meta.also_known_as,
            summary=treatment.meta.summary,
            blocks=[render_block(block, clinic) for block in blocks],
            language=treatment.language,
            direction=text_direction(treatment.language),
            more_information=[_page(source) for source in treatment.meta.more_information],
        )
        for treatment, blocks in loaded
    ]
    for treatment in treatments:
        _warn_untranslated(treatment, language)
    all_blocks = [block for treatment in treatments for block in treatment.blocks]
    risks = [block.key for block in all_blocks if block.name == "risks"]
    titles = f" {labels['and']} ".join(treatment.title for treatment in treatments)
    return LeafletContext(
        clinic=clinic,
        treatments=treatments,
        title=fill(labels[LAYOUT_INFO[layout].title_label], treatments=titles),
        subject=" ".join(treatment.summary for treatment in treatments),
        keywords=[
            *(treatment.title for treatment in treatments),
            labels[LAYOUT_INFO[layout].kind_label],
            clinic.name,
        ],
        layout=layout,
        kind_label=labels[LAYOUT_INFO[layout].kind_label],
        flap_sections=flap_sections if layout == "trifold" else 0,
        language=language,
        direction=text_direction(content_language),
        content_language=content_language,
        labels=labels,
        paper=paper,
        stylesheets=stylesheet_urls(clinic, paper, large_print, layout),
        large_print=large_print,
        brand_css=brand_css(clinic, labels),
        logo_url=clinic.logo_path.as_uri() if clinic.logo_path else None,
        callout_after=risks[0] if risks else all_blocks[-1].key,
        content_versions=_content_versions(treatments, labels, language),
        qr=_qr(loaded, clinic, labels),
    )


def _page(source) -> dict[str, str]:
    """A "More information" page as the leaflet prints it: its site, e.g. ``nhs.uk``."""
    url = str(source.url or "")
    if not re.match(r"https?://[^\s/]", url):  # only web pages become links
        url = ""
    site = urlsplit(url).hostname or ""
    site = site.removeprefix("www.")
    return {"publisher": source.publisher or "", "title": source.title, "url": url, "site": site}
