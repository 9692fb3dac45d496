"""The one road every leaflet takes: a ``LeafletRequest`` goes in, a ``Leaflet`` comes out.

``handouts build``, ``batch``, ``email``, the web app and its API all make leaflets
here. This module alone decides whether a leaflet is rendered in full or stamped as a
personal copy (``copies``), and builds its history record; the callers keep only their
own concerns (reading a CSV and running workers, SMTP, HTTP), and store the record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .appointments import Appointment
from .atomic import save_file
from .build import Handout, assemble_html, render_handout
from .config import Clinic, load_clinic
from .history import HistoryError, LeafletRecord, check_history, now, record_leaflets
from .paths import display_path
from .request import LeafletRequest


@dataclass(frozen=True)
class Leaflet:
    """A made leaflet: the PDF, what it contains, and what the history keeps of it."""

    request: LeafletRequest
    pdf: bytes
    pages: int
    title: str
    paper: str
    language: str
    content_versions: dict[str, str]
    """``"<treatment>/<block>": "<version>"`` for every section printed."""
    record: LeafletRecord
    section_titles: tuple[str, ...] = ()
    """The heading of every section printed, in order."""
    stamped: bool = False
    """True when the copy was stamped onto a shared leaflet rather than rendered in full."""

    @property
    def file_name(self) -> str:
        return self.request.file_name


class PlannedLeaflet:
    """A leaflet put together but not yet rendered: its key tells whether it changed."""

    def __init__(self, maker: LeafletMaker, request: LeafletRequest, clinic: Clinic) -> None:
        self.request, self.clinic, self._maker = request, clinic, maker
        self._copy = maker.copies.copy(request, clinic) if request.personal else None
        self._handout = None if self._copy else _assemble(request, clinic)
        self.input_key = (self._copy or self._handout).input_key
        """Equal keys give leaflets that look and read the same."""

    def html(self) -> str:
        """The leaflet's HTML, as WeasyPrint would render it (``build --html``)."""
        return (self._copy.handout() if self._copy else self._handout).html

    def render(self, output: Path | None = None) -> Leaflet:
        """The PDF, rendered in full or stamped; ``output`` is where the caller puts it."""
        if self._copy is not None:
            pdf, stamped = self._maker.copies.render(self._copy)
            handout = self._copy.record_handout()
        else:
            pdf, stamped, handout = render_handout(self._handout, self.clinic), False, self._handout
        return Leaflet(
            request=self.request,
            pdf=pdf.data,
            pages=pdf.pages,
            title=handout.title,
            paper=handout.paper,
            language=handout.language,
            content_versions={block.key: block.version for block in handout.blocks},
            section_titles=tuple(block.title for block in handout.blocks),
            record=leaflet_record(handout, pdf.data, self.request, output),
            stamped=stamped,
        )


def _assemble(request: LeafletRequest, clinic: Clinic) -> Handout:
    treatments, language, paper, layout, large_print = request.options
    return assemble_html(treatments, clinic, paper, language, None, large_print, layout)


class LeafletMaker:
    """Makes leaflets in this process, keeping what personal copies are stamped from."""

    def __init__(self) -> None:
        from .copies import PersonalCopies

        self.copies = PersonalCopies()

    def plan(self, request: LeafletRequest, clinic: Clinic) -> PlannedLeaflet:
        """Put the leaflet together (HandoutsError names a bad value or a broken kit)."""
        return PlannedLeaflet(self, request, clinic)

    def make(self, request: LeafletRequest, clinic: Clinic, output: Path | None = None) -> Leaflet:
        """The leaflet for ``request``; ``output``, if given, is only recorded."""
        return self.plan(request, clinic).render(output)

    def prepare(self, request: LeafletRequest, clinic: Clinic, samples: list) -> None:
        """Ready this leaflet for stamping, so its first patient waits no longer than later ones."""
        self.copies.prepare(request, clinic, samples)


@cache
def leaflet_maker() -> LeafletMaker:
    """This process's maker: batch and web workers each keep one."""
    return LeafletMaker()


def make_leaflet(
    request: LeafletRequest, clinic: Clinic | None = None, output: Path | None = None
) -> Leaflet:
    """Make the leaflet for ``request`` (the demo clinic's when ``clinic`` is None)."""
    return leaflet_maker().make(request, clinic or load_clinic(), output)


def leaflet_record(
    handout: Handout, pdf: bytes, request: LeafletRequest, output: Path | None
) -> LeafletRecord:
    """What the history keeps about one PDF leaflet."""
    appointment = request.appointment
    parts = (
        appointment.date.isoformat() if appointment.date else None,
        appointment.time.strftime("%H:%M") if appointment.time else None,
    )
    return LeafletRecord(
        created=now(),
        channel=request.channel,
        treatments=handout.treatments,
        language=handout.language,
        paper=handout.paper,
        content_versions={block.key: block.version for block in handout.blocks},
        sha256=hashlib.sha256(pdf).hexdigest(),
        patient=appointment.patient,
        appointment=" ".join(part for part in parts if part) or None,
        output=str(output.resolve()) if output else None,
        input_key=handout.input_key,
        layout=handout.layout + (", large print" if handout.large_print else ""),
    )


@dataclass(frozen=True)
class BuildResult:
    """What ``build_handout`` wrote."""

    path: Path
    pages: int | None
    """Page count of the PDF; None when only HTML was written."""
    leaflet: Leaflet | None
    """The leaflet made (None for HTML)."""
    paper: str


def build_handout(
    treatment_slugs: list[str] | tuple[str, ...],
    clinic_dir: Path | str | None = None,
    output: Path | str | None = None,
    paper: str | None = None,
    html_only: bool = False,
    language: str | None = None,
    appointment: Appointment | None = None,
    large_print: bool = False,
    layout: str = "leaflet",
) -> BuildResult:
    """``handouts build``: make one leaflet, write it to ``output`` and record it.

    ``output`` defaults to ``<first treatment>.pdf`` (``.html`` with ``html_only``) here.
    """
    clinic = load_clinic(clinic_dir)
    request = LeafletRequest(
        tuple(treatment_slugs), language, paper, layout, large_print, appointment or Appointment()
    )
    planned = leaflet_maker().plan(request, clinic)
    suffix = ".html" if html_only else ".pdf"
    target = Path(output) if output is not None else Path(f"{request.treatments[0]}{suffix}")
    if html_only:
        save_file(target, planned.html().encode("utf-8"))
        return BuildResult(target, None, None, paper or clinic.paper)
    check_history(clinic)  # a history that cannot record stops us before writing
    leaflet = planned.render(target)
    save_file(target, leaflet.pdf)
    try:
        record_leaflets(clinic, [leaflet.record])
    except HistoryError as error:
        raise HistoryError(
            f"{display_path(target)} was written, but it is not in the history: {error.message}"
        ) from None
    return BuildResult(target, leaflet.pages, leaflet, leaflet.paper)
