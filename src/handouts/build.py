"""``build_handout``: the one library call behind the CLI, batch runs, mail and the web app."""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from html import unescape
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from markupsafe import Markup

from . import __version__
from .appointments import Appointment, AppointmentError
from .atomic import write_atomically
from .choices import PAPER_NAMES, Layout, Paper
from .config import Clinic, check_language, load_clinic, primary_language
from .content import Block, ContentLibrary, Treatment
from .errors import ContentError, HandoutsError, HandoutsWarning, RenderError
from .history import LeafletRecord, now, record_leaflets
from .labels import fill, load_labels
from .markup import UnsafeImageError, markdown_to_html
from .paths import builtin_dir, display_path, file_url_path, fingerprint, resource_roots
from .qr import QrCode, qr_code
from .templating import fill_placeholders, placeholder_values, render_template, template_folders
from .theme import brand_css, stylesheet_urls


class DoesNotFit(RenderError):
    """A card or tri-fold whose text is too long for its pages (the message names the block)."""


class TranslationWarning(HandoutsWarning):
    """Part of a leaflet is in English because its translation is missing."""


LEAFLET_TEMPLATE = "leaflet.html"
TEMPLATES = {"leaflet": LEAFLET_TEMPLATE, "card": LEAFLET_TEMPLATE, "trifold": "trifold.html"}
"""The page template of each layout (the card is the leaflet template with fewer blocks)."""
TITLE_LABELS = {"leaflet": "document_title", "trifold": "document_title", "card": "card_title"}
KIND_LABELS = {"leaflet": "leaflet_kind", "trifold": "leaflet_kind", "card": "card_kind"}
PAGE_LIMITS = {"card": 1, "trifold": 2}
"""Layouts that must fit a set number of pages; more is an error naming the block."""
LAYOUT_NAMES = {"card": "the one-page card", "trifold": "the tri-fold sheet"}
FLAP_BOTTOM = "flap-bottom"
"""Id of the marker at the foot of the tri-fold's flap panel (see trifold.html)."""


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


@dataclass(frozen=True)
class AppointmentPanel:
    """A personal copy's appointment, as the words printed in its panel."""

    patient: str | None
    when: str | None
    practitioner: str | None
    booking_url: str | None


def appointment_panel(
    appointment: Appointment, clinic: Clinic, labels: dict[str, str], language: str
) -> AppointmentPanel:
    """Format an appointment for the leaflet's language (dates and times with Babel)."""
    locale = language.replace("-", "_")
    day = format_date(appointment.date, format="full", locale=locale) if appointment.date else None
    hour = (
        format_time(appointment.time, format="short", locale=locale) if appointment.time else None
    )
    when = fill(labels["appointment_when"], date=day, time=hour) if day and hour else day or hour
    practitioner = appointment.practitioner
    return AppointmentPanel(
        patient=appointment.patient,
        when=when,
        practitioner=fill(labels["with_practitioner"], name=practitioner) if practitioner else None,
        booking_url=clinic.booking_url.split("://", 1)[-1] if clinic.booking_url else None,
    )


EMPTY_PANEL = AppointmentPanel(patient=None, when=None, practitioner=None, booking_url=None)
"""Stands for the panel in a shared leaflet that leaves a slot for it."""
SLOT_ID = "appointment-slot"
SLOT_MARK = "handouts:appointment-slot"
"""Alt text of the slot image: how the slot is found in a shared leaflet's tags."""


@dataclass(frozen=True)
class AppointmentSlot:
    """Room left for a personal panel in a shared leaflet (see ``handouts.stamping``)."""

    height: float
    """Height of the panel's content, in CSS pixels."""
    mark: str = SLOT_MARK
    image: str = "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A//www.w3.org/2000/svg%22/%3E"
    """An empty, transparent picture."""


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
    remake: Callable[[int], Handout] | None = field(default=None, repr=False)
    """Assembles this handout again with another number of flap sections."""


def render_block(block: Block, clinic: Clinic, direction: str = "ltr") -> RenderedBlock:
    """Fill placeholders, convert Markdown to safe HTML, and note approval."""
    source = display_path(block.path)
    text, placeholders = fill_placeholders(
        block.body, placeholder_values(clinic), source, block.body_first_line
    )
    try:
        html = markdown_to_html(
            text,
            image_folder=block.path.parent,
            placeholders=placeholders,
            keep_values_ltr=direction == "rtl",
        )
    except UnsafeImageError as error:
        raise ContentError(f"{source}: {error}") from None
    return RenderedBlock(
        key=block.key,
        name=block.name,
        title=block.meta.title,
        html=Markup(html),
        version=block.meta.version,
        reviewed=block.meta.reviewed,
        review_due=block.meta.review_due,
        approved=clinic.approved.get(block.key) == block.meta.version,
        language=block.language,
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
    return personal_handout(context, personal_panel(context, appointment))


def personal_panel(context: LeafletContext, appointment: Appointment) -> AppointmentPanel:
    """The checked appointment as its panel prints it; HandoutsError names a bad field."""
    try:
        appointment = appointment.checked(context.clinic.font_path)
    except AppointmentError as error:
        raise HandoutsError(f"{error}") from None
    return appointment_panel(appointment, context.clinic, context.labels, context.language)


def slotted_handout(context: LeafletContext, height: float = 0) -> Handout:
    """The leaflet of personal copies with an empty slot, ``height`` px tall, for the panel.

    Its input key with a height of 0 stands for everything in a copy but the panel's words.
    """
    slot = AppointmentSlot(height)
    return handout_from(replace(context, appointment=EMPTY_PANEL, appointment_slot=slot))


def personal_key(shared_key: str, panel: AppointmentPanel) -> str:
    """Input key of a personal copy: its leaflet's key and its panel's words."""
    return hashlib.sha256(f"{shared_key}\0{panel!r}".encode()).hexdigest()


def personal_handout(
    context: LeafletContext, panel: AppointmentPanel, shared_key: str | None = None
) -> Handout:
    """A personal copy in full; ``shared_key`` saves working out its leaflet's key again."""
    shared_key = shared_key or slotted_handout(context).input_key
    handout = handout_from(replace(context, appointment=panel))
    return replace(handout, input_key=personal_key(shared_key, panel))


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
    language = language or clinic.language
    try:
        check_language(language)
    except ValueError as error:
        raise HandoutsError(f"--lang: {error}") from None
    content_language = primary_language(language)
    clinic = clinic.in_language(language)
    library = ContentLibrary(clinic.kit_dir)
    paper = paper or clinic.paper
    if layout == "trifold" and paper == "a5":
        raise HandoutsError("--paper a5: a tri-fold needs A4 or US Letter paper")
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
    treatments = [
        RenderedTreatment(
            slug=treatment.slug,
            title=treatment.meta.title,
            also_known_as=treatment.meta.also_known_as,
            summary=treatment.meta.summary,
            blocks=[
                render_block(block, clinic, text_direction(block.language)) for block in blocks
            ],
            language=treatment.language,
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
        title=fill(labels[TITLE_LABELS[layout]], treatments=titles),
        subject=" ".join(treatment.summary for treatment in treatments),
        keywords=[
            *(treatment.title for treatment in treatments),
            labels[KIND_LABELS[layout]],
            clinic.name,
        ],
        layout=layout,
        kind_label=labels[KIND_LABELS[layout]],
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


def handout_from(context: LeafletContext) -> Handout:
    """Fill the layout's page template with ``context``."""
    html = render_template(context.clinic, TEMPLATES[context.layout], context.as_dict())
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
        remake=lambda sections: handout_from(replace(context, flap_sections=sections)),
    )


def write_file(target: Path, data: bytes) -> None:
    """Write ``data`` atomically; HandoutsError says what to do if it cannot."""
    try:
        write_atomically(target, data)
    except OSError as error:
        raise HandoutsError(
            f"{display_path(target)}: cannot write the file ({error.strerror}); "
            "choose a folder you can save to with -o"
        ) from None


@dataclass(frozen=True)
class BuildResult:
    """What ``build_handout`` wrote."""

    path: Path
    pages: int | None
    """Page count of the PDF; None when only HTML was written."""
    handout: Handout
    record: LeafletRecord | None
    """What the history keeps about the PDF (None for HTML)."""


def build_handout(
    treatment_slugs: Sequence[str],
    clinic_dir: Path | str | None = None,
    output: Path | str | None = None,
    paper: Paper | None = None,
    html_only: bool = False,
    language: str | None = None,
    appointment: Appointment | None = None,
    channel: str = "build",
    large_print: bool = False,
    layout: Layout = "leaflet",
) -> BuildResult:
    """Build one leaflet for ``treatment_slugs`` and write it to ``output``.

    ``output`` defaults to ``<first treatment>.pdf`` (or ``.html`` with ``html_only``)
    in the current folder. Options left as None take the clinic's defaults. The
    file is written atomically, and every PDF is recorded in the clinic's history
    under ``channel`` (build, batch, email, web).
    """
    clinic = load_clinic(clinic_dir)
    handout = assemble_html(
        treatment_slugs, clinic, paper, language, appointment, large_print, layout
    )
    suffix = ".html" if html_only else ".pdf"
    target = Path(output) if output is not None else Path(f"{handout.treatments[0]}{suffix}")
    if html_only:
        write_file(target, handout.html.encode("utf-8"))
        return BuildResult(target, None, handout, None)
    result = write_pdf(handout, clinic, target, appointment, channel)
    record_leaflets(clinic, [result.record])
    return result


def write_pdf(
    handout: Handout,
    clinic: Clinic,
    target: Path,
    appointment: Appointment | None = None,
    channel: str = "build",
) -> BuildResult:
    """Render an assembled leaflet to ``target``; the caller records ``result.record``."""
    pdf = render_handout(handout, clinic)
    write_file(target, pdf.data)
    record = leaflet_record(handout, pdf.data, appointment, channel, target)
    return BuildResult(target, pdf.pages, handout, record)


def render_handout(handout: Handout, clinic: Clinic):
    """Render an assembled leaflet to PDF bytes (a ``RenderedPDF``).

    A card or tri-fold that runs over its pages is an error naming the first section
    that does not fit; on a tri-fold the cover sheet's section must end on page 1.
    """
    from .render import render_pdf  # WeasyPrint loads only when a PDF is made

    pdf = render_pdf(
        handout.html,
        clinic.kit_dir or builtin_dir("templates"),
        resource_roots(clinic.kit_dir),
        handout.stylesheets,
    )
    limit = PAGE_LIMITS.get(handout.layout)
    if limit is None:
        return pdf
    late = {name for page in pdf.anchors[limit:] for name in page}
    flap_late = _late_on_flap(handout, pdf.anchors[0]) if FLAP_BOTTOM in handout.html else []
    if flap_late and handout.flap_sections > 1 and handout.remake is not None:
        # The flap is too short for its sections: give the inside panels one more.
        return render_handout(handout.remake(handout.flap_sections - 1), clinic)
    late |= {_end_anchor(key) for key in flap_late}
    overflowing = [block.key for block in handout.blocks if _end_anchor(block.key) in late]
    if overflowing or pdf.pages > limit:
        where = overflowing[0] if overflowing else f"{handout.treatments[-1]}: the last part"
        raise DoesNotFit(
            f"{where}: does not fit on {LAYOUT_NAMES[handout.layout]} "
            f"({PAPER_NAMES[handout.paper]}); shorten it, choose bigger paper, or leave it out "
            f"of the {handout.layout} with 'layouts:' in its front matter"
        )
    return pdf


def _late_on_flap(handout: Handout, page_one: dict[str, tuple]) -> list[str]:
    """Flap sections that end below the flap, or not on page 1 at all."""
    if FLAP_BOTTOM not in page_one:
        return [block.key for block in handout.blocks[: handout.flap_sections]]
    bottom = page_one[FLAP_BOTTOM][3]
    ends = {name: box[3] for name, box in page_one.items()}
    return [
        block.key
        for block in handout.blocks[: handout.flap_sections]
        if ends.get(_end_anchor(block.key), float("inf")) > bottom
    ]


def _end_anchor(block_key: str) -> str:
    """The id the section template puts at the end of a block (see partials/section.html)."""
    return block_key.replace("/", "-") + "-end"


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
    for path in dict.fromkeys(paths):
        if path is not None and path.is_file():
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
    if clinic.kit_dir is not None:
        digest.update(repr(fingerprint(clinic.kit_dir)).encode())
    return digest.hexdigest()


def leaflet_record(
    handout: Handout,
    pdf: bytes,
    appointment: Appointment | None,
    channel: str,
    output: Path | None,
) -> LeafletRecord:
    """What the history keeps about one PDF leaflet."""
    when = None
    if appointment and (appointment.date or appointment.time):
        parts = (
            appointment.date.isoformat() if appointment.date else None,
            appointment.time.strftime("%H:%M") if appointment.time else None,
        )
        when = " ".join(part for part in parts if part)
    return LeafletRecord(
        created=now(),
        channel=channel,
        treatments=handout.treatments,
        language=handout.language,
        paper=handout.paper,
        content_versions={block.key: block.version for block in handout.blocks},
        sha256=hashlib.sha256(pdf).hexdigest(),
        patient=appointment.patient if appointment else None,
        appointment=when,
        output=str(output.resolve()) if output else None,
        input_key=handout.input_key,
        layout=handout.layout + (", large print" if handout.large_print else ""),
    )
