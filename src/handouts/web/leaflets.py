"""Leaflets for the web app: requests read from a form or a query, made in a worker process.

Request values are read by ``handouts.inputs``, like the command line's and the CSV's;
the leaflet is made on the one road, ``handouts.leaflet``. Workers prepare the kit's
leaflets for stamping as soon as they start, and again after the kit changes, so the
first personal copy of the day is as quick as the tenth.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from ..appointments import Appointment
from ..config import Clinic, load_clinic
from ..content import ContentLibrary
from ..errors import HandoutsError, InputError, RenderError
from ..inputs import (
    check_paper,
    parse_appointment,
    parse_flag,
    parse_language,
    parse_layout,
    parse_paper,
    parse_treatments,
)
from ..request import LeafletRequest

PREVIEW_DPI = 110
WARM_CHECK_SECONDS = 3.0
"""How often a worker looks whether the kit changed, to prepare its leaflets again."""
SAMPLE_VISITS = (
    Appointment("Sample Patient", date(2026, 1, 5), time(10, 30), "Sample Practitioner"),
    Appointment("Sample Patient", date(2026, 1, 5), time(10, 30)),
    Appointment("Sample Patient"),
)
"""Panels a worker prepares slots for: a whole appointment, without practitioner, name only."""


def _one(values: dict[str, list[str]], name: str) -> str | None:
    found = [value.strip() for value in values.get(name, []) if value.strip()]
    if len(found) > 1:
        raise InputError(f"{name}: give one value, not {len(found)}")
    return found[0] if found else None


def read_request(values: dict[str, list[str]], clinic: Clinic) -> LeafletRequest:
    """Check request parameters: ``treatment`` (repeated or comma-separated), ``lang``,
    ``paper``, ``layout``, ``large_print`` (yes or no), ``patient``, ``date``
    (YYYY-MM-DD), ``time`` (HH:MM), ``practitioner``.

    Raises InputError naming the parameter, or UnknownTreatment.
    """
    treatments = parse_treatments(
        values.get("treatment", []), ContentLibrary(clinic.kit_dir).slugs()
    )
    language = parse_language(_one(values, "lang") or clinic.language, "lang")
    paper = parse_paper(_one(values, "paper") or clinic.paper)
    layout = parse_layout(_one(values, "layout") or "leaflet")
    check_paper(layout, paper)
    appointment = parse_appointment(
        _one(values, "patient"),
        _one(values, "date") or "",
        _one(values, "time") or "",
        _one(values, "practitioner"),
        clinic.font_path,
    )
    large_print = parse_flag(_one(values, "large_print"), "large_print")
    return LeafletRequest(treatments, language, paper, layout, large_print, appointment, "web")


@dataclass(frozen=True)
class RenderedLeaflet:
    """A made leaflet as the web app keeps it: the PDF, page images, the history record."""

    pdf: bytes
    previews: tuple[bytes, ...]
    """One PNG per page (empty when not asked for)."""
    title: str
    file_name: str
    record: object
    """The ``LeafletRecord`` the history keeps."""
    pages: int
    notes: tuple[str, ...] = ()
    """Things staff should know, e.g. that a translation is missing."""


_maker_lock = threading.Lock()
"""A worker's requests and its preparing thread take turns with its one leaflet maker."""


def render_leaflet(kit_dir: Path, request: LeafletRequest, previews: bool) -> RenderedLeaflet:
    """In a worker process: make the leaflet. Errors are HandoutsErrors (they pickle)."""
    from ..leaflet import leaflet_maker
    from ..workers import caught_notes

    try:
        clinic = load_clinic(kit_dir)
        with caught_notes() as notes, _maker_lock:
            leaflet = leaflet_maker().make(request, clinic)
        images = _page_images(leaflet.pdf) if previews else ()
    except HandoutsError:
        raise
    except Exception as error:  # a broken render must reach the page as a message
        raise RenderError(f"unexpected {type(error).__name__}: {error}") from None
    return RenderedLeaflet(
        leaflet.pdf,
        images,
        leaflet.title,
        leaflet.file_name,
        leaflet.record,
        leaflet.pages,
        tuple(notes),
    )


def _page_images(pdf: bytes) -> tuple[bytes, ...]:
    """Each page as a PNG, for the preview."""
    import io

    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    images = []
    try:
        for page in document:
            bitmap = page.render(scale=PREVIEW_DPI / 72)
            buffer = io.BytesIO()
            bitmap.to_pil().save(buffer, format="PNG", compress_level=1)
            images.append(buffer.getvalue())
    finally:
        document.close()
    return tuple(images)


def start_web_worker(kit_dir: Path, prepared) -> None:
    """In a new worker: stop with the server, and prepare the kit's leaflets for stamping.

    ``prepared`` is a shared counter: each worker adds one each time its leaflets are ready
    (None: prepare nothing, each leaflet gets ready on its first copies).
    """
    from ..workers import start_worker

    start_worker()
    if prepared is None:
        return
    thread = threading.Thread(target=_keep_prepared, args=(kit_dir, prepared), daemon=True)
    thread.start()


def _keep_prepared(kit_dir: Path, prepared) -> None:
    """Prepare every treatment's leaflet now, and again whenever the kit changes."""
    from time import sleep

    import pypdfium2  # noqa: F401  (loaded now, not on the first preview)

    from ..paths import kit_fingerprint

    done_for = None
    while True:
        current = kit_fingerprint(kit_dir)
        if current != done_for:
            _prepare_all(kit_dir)
            with prepared.get_lock():
                prepared.value += 1
            done_for = current
        sleep(WARM_CHECK_SECONDS)


def _prepare_all(kit_dir: Path) -> None:
    """Each treatment's leaflet in the clinic's language and paper, ready for stamping."""
    import warnings

    from ..leaflet import leaflet_maker

    try:
        clinic = load_clinic(kit_dir)
        slugs = ContentLibrary(clinic.kit_dir).slugs()
    except HandoutsError:
        return  # a broken kit: each request says what is wrong
    for slug in slugs:
        request = LeafletRequest((slug,), clinic.language, clinic.paper, channel="web")
        with _maker_lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                leaflet_maker().prepare(request, clinic, list(SAMPLE_VISITS))
            except HandoutsError:
                continue  # this leaflet cannot be made; its requests will say why
