"""``handouts proof``: make every leaflet a kit can make, and say what looks wrong in each.

The matrix is every treatment, in each of its languages, in every layout and the papers
that layout takes, in standard and large print; options narrow it. Worker processes make
each leaflet by the one road (``leaflet.LeafletMaker``), check its PDF (``proof_checks``)
and draw its pages small (``proof_sheet``); this process collects the answers, in matrix
order, for the report and the proof sheet.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from .choices import LAYOUT_INFO, LAYOUTS, PAPER_NAMES
from .config import Clinic, load_clinic
from .errors import HandoutsError, SheetTooSmall
from .workers import caught_notes, held_signals, start_worker, stop_workers

GROUP_SIZE = 4
"""Leaflets a worker takes at a time."""


@dataclass(frozen=True)
class ProofItem:
    """One leaflet of the matrix."""

    treatment: str
    layout: str
    paper: str
    language: str
    """The catalogue's language code (``en``, ``es``)."""
    large_print: bool = False

    @property
    def label(self) -> str:
        """``microneedling, trifold, letter, es, large print``: how a problem line starts."""
        parts = [self.treatment, self.layout, self.paper, self.language]
        return ", ".join(parts + (["large print"] if self.large_print else []))

    @property
    def heading(self) -> str:
        """The proof sheet's row name: ``Tri-fold brochure · US Letter · es · large print``."""
        parts = [LAYOUT_INFO[self.layout].name, PAPER_NAMES[self.paper], self.language]
        return " · ".join(parts + (["large print"] if self.large_print else []))


@dataclass(frozen=True)
class ProofResult:
    """What one leaflet came to: its problems and its pages drawn small (PNG)."""

    item: ProofItem
    problems: tuple[str, ...] = ()
    pages: tuple[bytes, ...] = ()
    title: str = ""
    notes: tuple[str, ...] = ()
    page_count: int = 0
    """Pages of the leaflet made (0 when it was not made)."""
    cannot: str = ""
    """Why no arrangement can make this leaflet of this text (``SheetTooSmall``): reported
    on its own, not as a problem of the kit."""


@dataclass
class ProofReport:
    """Every leaflet proofed, in matrix order."""

    clinic: str
    results: list[ProofResult] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    """Each treatment's title, as the catalogue gives it."""
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """One line per problem: ``<leaflet label>: <problem>``."""
        return [
            f"{result.item.label}: {problem}"
            for result in self.results
            for problem in result.problems
        ]

    @property
    def cannot_be_made(self) -> list[str]:
        """One line per leaflet the sheet is too small for: ``<label>: <why>``."""
        return [f"{result.item.label}: {result.cannot}" for result in self.results if result.cannot]

    @property
    def failed(self) -> int:
        """How many leaflets have a problem."""
        return sum(bool(result.problems) for result in self.results)


def proof_matrix(
    catalogue: list[dict[str, object]],
    treatments: Iterable[str] = (),
    layouts: Iterable[str] = (),
    papers: Iterable[str] = (),
    large_print: Iterable[bool] = (False, True),
) -> list[ProofItem]:
    """Every leaflet of ``catalogue`` (``treatment_catalogue``), narrowed by the options given."""
    treatments, layouts, papers = set(treatments), set(layouts), set(papers)
    return [
        ProofItem(entry["name"], layout, paper, language, large)
        for entry in catalogue
        if not treatments or entry["name"] in treatments
        for language in entry["languages"]
        for layout in LAYOUTS
        if not layouts or layout in layouts
        for paper in LAYOUT_INFO[layout].papers
        if not papers or paper in papers
        for large in large_print
    ]


def request_language(clinic: Clinic, language: str) -> str | None:
    """The clinic's own language (``en-GB``) stands for its catalogue code (``en``)."""
    return None if clinic.language.split("-")[0].lower() == language else language


@cache
def _clinic(clinic_dir: Path | None) -> Clinic:
    return load_clinic(clinic_dir)


def _start_proof_worker() -> None:
    from .leaflet import leaflet_maker

    start_worker()
    leaflet_maker.cache_clear()


def proof_leaflet(clinic_dir: Path | None, item: ProofItem, thumbnails: bool = True) -> ProofResult:
    """Make one leaflet and check it; a refusal is its problem. Never raises for a leaflet."""
    from .config import primary_language
    from .labels import load_labels
    from .leaflet import leaflet_maker
    from .proof_checks import clinic_details, pdf_problems
    from .proof_sheet import page_images
    from .request import LeafletRequest
    from .templating import template_folders

    with caught_notes() as notes:
        try:
            clinic = _clinic(clinic_dir)
            request = LeafletRequest(
                (item.treatment,),
                request_language(clinic, item.language),
                item.paper,
                item.layout,
                item.large_print,
            )
            leaflet = leaflet_maker().plan(request, clinic).render()
        except SheetTooSmall as error:
            result = ProofResult(item, cannot=error.message)
        except HandoutsError as error:
            result = ProofResult(item, (f"refused: {error.message}",))
        except Exception as error:  # one broken leaflet must not stop the proof
            result = ProofResult(item, (f"refused: unexpected {type(error).__name__}: {error}",))
        else:
            details = clinic_details(
                clinic.in_language(leaflet.language),
                load_labels(template_folders(clinic), primary_language(leaflet.language)),
            )
            try:
                problems = tuple(
                    pdf_problems(leaflet.pdf, details, item.large_print, leaflet.section_titles)
                )
            except Exception as error:
                problems = (f"cannot be checked: {type(error).__name__}: {error}",)
            pages = tuple(page_images(leaflet.pdf)) if thumbnails else ()
            result = ProofResult(item, problems, pages, leaflet.title, page_count=leaflet.pages)
    return replace(result, notes=tuple(notes))


def _proof_group(clinic_dir: Path | None, items: list[ProofItem], thumbnails: bool) -> list:
    return [proof_leaflet(clinic_dir, item, thumbnails) for item in items]


def run_proof(
    clinic_dir: Path | None,
    items: list[ProofItem],
    jobs: int | None = None,
    progress: Callable[[Iterator, int], Iterator] | None = None,
    thumbnails: bool = True,
) -> ProofReport:
    """Proof ``items`` in worker processes; ``progress(results, count)`` may wrap the stream.

    Stopped with Ctrl+C or SIGTERM, it ends the workers and raises ``batch.Stopped``.
    """
    from .batch import Stopped

    clinic = load_clinic(clinic_dir)
    from .catalogue import treatment_catalogue

    try:
        titles = {entry["name"]: entry["title"] for entry in treatment_catalogue(clinic_dir)}
    except HandoutsError:  # a broken treatment: its leaflet says so, the sheet shows names
        titles = {}
    report = ProofReport(clinic.name, titles=titles)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(items) or 1))
    size = max(1, min(GROUP_SIZE, len(items) // (workers * 4)))
    groups = [items[start : start + size] for start in range(0, len(items), size)]
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_proof_worker)
    futures = [pool.submit(_proof_group, clinic_dir, group, thumbnails) for group in groups]
    results = (result for future in futures for result in future.result())
    try:
        for result in progress(results, len(items)) if progress else results:
            report.results.append(result)
            report.notes.extend(note for note in result.notes if note not in report.notes)
    except KeyboardInterrupt:
        with held_signals(stop_after=False):
            stop_workers(pool)
            pool.shutdown(wait=True)
        raise Stopped(
            f"stopped: {len(report.results)} of {len(items)} leaflets proofed; no proof sheet"
        ) from None
    except BaseException:
        stop_workers(pool)
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
    return report


def default_leaflet_problems(clinic: Clinic, treatments: list[str]) -> list[tuple[str, str, str]]:
    """(severity, treatment, problem) for each treatment's leaflet in the kit's own paper and
    language, leaflet layout, standard print: what ``handouts check`` reports.

    A leaflet refused is an ``error``; one made but composed badly is a ``warning``.
    """
    language = clinic.language.split("-")[0].lower()
    items = [ProofItem(slug, "leaflet", clinic.paper, language) for slug in treatments]
    if not items:
        return []
    where = f"leaflet, {PAPER_NAMES[clinic.paper]}"
    return [
        (
            "error" if problem.startswith("refused: ") else "warning",
            result.item.treatment,
            f"{where}: {problem.removeprefix('refused: ')}",
        )
        for result in run_proof(clinic.kit_dir, items, thumbnails=False).results
        for problem in result.problems
    ]
