"""Leaflets for the web app: checked requests, rendering in worker processes, caches.

Rendering runs in a pool of worker processes, so a slow render never holds the web
server's threads. Non-personal leaflets are kept in memory and on disk under a key made
of the request and the name, size and time of every file that can change the output
(the kit, the built-in templates, content and styles): an edited kit shows at once.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from datetime import date, time
from functools import cache
from pathlib import Path

from .. import __version__
from ..appointments import Appointment, AppointmentError, leaflet_file_name
from ..choices import PAPERS
from ..config import Clinic, check_language, load_clinic
from ..content import ContentLibrary
from ..history import LeafletRecord, now
from ..paths import builtin_dir, fingerprint

LAYOUTS = {
    "leaflet": "Leaflet (2 pages)",
    "trifold": "Tri-fold brochure (A4 or Letter)",
    "card": "Aftercare card (1 page)",
}
"""Layouts a leaflet can be made in, with the name staff see."""
PREVIEW_DPI = 110
MAX_TREATMENTS = 6
YES, NO = ("1", "on", "true", "yes"), ("0", "off", "false", "no")


class BadRequest(ValueError):
    """A parameter that cannot be used; the message names it and says what to do."""


class UnknownTreatment(LookupError):
    """A treatment the clinic's library does not have."""


class RenderFailed(RuntimeError):
    """The kit could not make this leaflet (a problem for whoever looks after the kit)."""


class TooLongForLayout(RenderFailed):
    """The text does not fit the chosen card or tri-fold and paper: choose another."""


@dataclass(frozen=True)
class LeafletRequest:
    """One leaflet as asked for: what, in which language and format, and for whom."""

    treatments: tuple[str, ...]
    language: str
    paper: str
    layout: str = "leaflet"
    appointment: Appointment = field(default_factory=Appointment)
    large_print: bool = False

    @property
    def personal(self) -> bool:
        return bool(self.appointment)

    @property
    def file_name(self) -> str:
        return leaflet_file_name(self.treatments, self.appointment)


def _one(values: dict[str, list[str]], name: str) -> str | None:
    found = [value.strip() for value in values.get(name, []) if value.strip()]
    if len(found) > 1:
        raise BadRequest(f"{name}: give one value, not {len(found)}")
    return found[0] if found else None


def read_request(values: dict[str, list[str]], clinic: Clinic) -> LeafletRequest:
    """Check request parameters: ``treatment`` (repeated or comma-separated), ``lang``,
    ``paper``, ``layout``, ``large_print`` (1 or 0), ``patient``, ``date`` (YYYY-MM-DD),
    ``time`` (HH:MM), ``practitioner``.

    Raises BadRequest naming the parameter, or UnknownTreatment.
    """
    slugs = [
        slug.strip()
        for value in values.get("treatment", [])
        for slug in value.split(",")
        if slug.strip()
    ]
    if not slugs:
        raise BadRequest("treatment: choose at least one treatment")
    slugs = list(dict.fromkeys(slugs))
    if len(slugs) > MAX_TREATMENTS:
        raise BadRequest(f"treatment: at most {MAX_TREATMENTS} treatments in one leaflet")
    known = set(ContentLibrary(clinic.kit_dir).slugs())
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise UnknownTreatment(
            f"unknown treatment {unknown[0][:60]!r}; see /api/treatments for the list"
        )
    language = _one(values, "lang") or clinic.language
    try:
        check_language(language)
    except ValueError as error:
        raise BadRequest(f"lang: {error}") from None
    paper = (_one(values, "paper") or clinic.paper).lower()
    if paper not in PAPERS:
        raise BadRequest(f"paper: {paper[:20]!r} is not one of {', '.join(PAPERS)}")
    layout = (_one(values, "layout") or "leaflet").lower()
    if layout not in LAYOUTS:
        raise BadRequest(f"layout: {layout[:20]!r} is not one of {', '.join(LAYOUTS)}")
    if layout == "trifold" and paper == "a5":
        raise BadRequest("paper: a tri-fold needs A4 or US Letter paper")
    appointment = Appointment(
        patient=_one(values, "patient"),
        date=_parsed(values, "date", date.fromisoformat, "YYYY-MM-DD, e.g. 2026-03-14"),
        time=_parsed(values, "time", time.fromisoformat, "HH:MM, e.g. 14:30"),
        practitioner=_one(values, "practitioner"),
    )
    try:
        appointment = appointment.checked(clinic.font_path)
    except AppointmentError as error:
        raise BadRequest(str(error)) from None
    large_print = (_one(values, "large_print") or "0").lower()
    if large_print not in ("0", "1", "on", "true", "false", "no", "yes"):
        raise BadRequest(f"large_print: {large_print[:20]!r} is not 1 or 0")
    return LeafletRequest(
        tuple(slugs),
        language,
        paper,
        layout,
        appointment,
        large_print in ("1", "on", "true", "yes"),
    )


def _parsed(values: dict[str, list[str]], name: str, parse: Callable, form: str):
    text = _one(values, name)
    if text is None:
        return None
    try:
        value = parse(text)
    except ValueError:
        raise BadRequest(f"{name}: {text[:30]!r} is not a valid {name}; use {form}") from None
    if name == "time":
        value = value.replace(second=0, microsecond=0, tzinfo=None)
    return value


@dataclass(frozen=True)
class RenderedLeaflet:
    """A made leaflet: the PDF, page images for the preview, and its history record."""

    pdf: bytes
    previews: tuple[bytes, ...]
    """One PNG per page (empty when not asked for)."""
    title: str
    file_name: str
    record: LeafletRecord
    pages: int
    notes: tuple[str, ...] = ()
    """Things staff should know, e.g. that a translation is missing."""


def render_leaflet(
    kit_dir: Path, request: LeafletRequest, previews: bool
) -> tuple[RenderedLeaflet | None, str | None, bool]:
    """In a worker process: make the leaflet, or say why not (and whether it just did
    not fit its layout). Never raises."""
    from ..build import DoesNotFit, leaflet_record
    from ..errors import HandoutsError

    try:
        clinic = load_clinic(kit_dir)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rendered, handout = _render(clinic, request)
        images = _page_images(rendered.data) if previews else ()
        record = leaflet_record(handout, rendered.data, request.appointment, "web", None)
        notes = tuple(dict.fromkeys(str(warning.message) for warning in caught))
        leaflet = RenderedLeaflet(
            rendered.data, images, handout.title, request.file_name, record, rendered.pages, notes
        )
        return leaflet, None, False
    except DoesNotFit as error:
        return None, error.message, True
    except HandoutsError as error:
        return None, error.message, False
    except Exception as error:  # a broken render must reach the page as a message
        return None, f"unexpected {type(error).__name__}: {error}", False


def _render(clinic: Clinic, request: LeafletRequest):
    """The PDF and its handout: a personal copy stamped by this worker, others in full."""
    from ..build import assemble_html, render_handout

    options = (request.paper, request.language, request.large_print, request.layout)
    if request.appointment:
        copies = _personal_copies()
        copy = copies.copy(request.treatments, clinic, request.appointment, *options)
        return copies.render(copy), copy.record_handout()
    paper, language, large_print, layout = options
    handout = assemble_html(request.treatments, clinic, paper, language, None, large_print, layout)
    return render_handout(handout, clinic), handout


@cache
def _personal_copies():
    """This worker's maker of personal copies (see ``handouts.stamping``)."""
    from ..stamping import PersonalCopies

    return PersonalCopies()


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
            bitmap.to_pil().save(buffer, format="PNG", optimize=True)
            images.append(buffer.getvalue())
    finally:
        document.close()
    return tuple(images)


def _start_worker() -> None:
    """In a new worker: leave Ctrl+C to the server, and never outlive it.

    The server stops its workers in order; if it is killed instead, each worker sees
    its parent go and exits, so no orphans are left behind.
    """
    import signal
    from multiprocessing.connection import wait

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:

        def exit_with_parent() -> None:
            wait([parent.sentinel])
            os._exit(0)

        threading.Thread(target=exit_with_parent, daemon=True).start()


def _warm_up() -> None:
    """In a new worker: load WeasyPrint and the fonts before the first leaflet is asked for."""
    import pypdfium2  # noqa: F401

    from .. import render  # noqa: F401


class LeafletMaker:
    """Makes leaflets in worker processes; keeps non-personal ones in memory and on disk."""

    def __init__(
        self,
        kit_dir: Path,
        cache_dir: Path,
        workers: int | None = None,
        memory_entries: int = 32,
        disk_entries: int = 200,
    ) -> None:
        self.kit_dir = kit_dir.resolve()
        self.cache_dir = cache_dir
        self.workers = workers or min(2, os.cpu_count() or 1)
        self.memory_entries = memory_entries
        self.disk_entries = disk_entries
        self._memory: OrderedDict[str, RenderedLeaflet] = OrderedDict()
        self._in_flight: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    max_tasks_per_child=200,  # keeps a long-running server's memory flat
                    initializer=_start_worker,
                )
            return self._pool

    def warm_up(self) -> None:
        """Start the workers now, so the first leaflet of the day is quick."""
        pool = self._executor()
        for future in [pool.submit(_warm_up) for _ in range(self.workers)]:
            future.result()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(cancel_futures=True)

    def make(self, request: LeafletRequest, previews: bool = True) -> RenderedLeaflet:
        """The leaflet for ``request``: from a cache when it is not personal, else rendered.

        Raises RenderFailed with a one-line reason when the kit cannot make it.
        """
        if request.personal:
            return self._render(request, previews)
        key = self.cache_key(request)
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                return self._fresh(found)
            waiting = self._in_flight.get(key)
            if waiting is None:
                waiting = self._in_flight[key] = Future()
                owner = True
            else:
                owner = False
        if not owner:
            return self._fresh(waiting.result())
        try:
            leaflet = self._read_disk(key) or self._render(request, previews=True)
            self._write_disk(key, leaflet)
            with self._lock:
                self._memory[key] = leaflet
                while len(self._memory) > self.memory_entries:
                    self._memory.popitem(last=False)
            waiting.set_result(leaflet)
            return self._fresh(leaflet)
        except BaseException as error:
            waiting.set_exception(error)
            raise
        finally:
            with self._lock:
                self._in_flight.pop(key, None)

    def cache_key(self, request: LeafletRequest) -> str:
        """Digest of the request and of every file that can change the leaflet."""
        folders = [
            *(builtin_dir(name) for name in ("templates", "content", "styles")),
            self.kit_dir,
        ]
        digest = hashlib.sha256(f"handouts {__version__}\0".encode())
        digest.update(repr((request.treatments, request.language, request.paper)).encode())
        digest.update(f"{request.layout} large_print={request.large_print}".encode())
        for folder in folders:
            digest.update(repr(fingerprint(folder)).encode())
        return digest.hexdigest()

    def _render(self, request: LeafletRequest, previews: bool) -> RenderedLeaflet:
        for attempt in (1, 2):
            try:
                future = self._executor().submit(render_leaflet, self.kit_dir, request, previews)
                leaflet, problem, too_long = future.result()
                break
            except BrokenProcessPool:  # a worker died (out of memory?): start afresh once
                with self._lock:
                    self._pool = None
                if attempt == 2:
                    raise RenderFailed("the leaflet maker stopped; try again") from None
        if leaflet is None:
            raise (TooLongForLayout if too_long else RenderFailed)(problem)
        return leaflet

    @staticmethod
    def _fresh(leaflet: RenderedLeaflet) -> RenderedLeaflet:
        """A cached leaflet with a history record stamped now."""
        return replace(leaflet, record=replace(leaflet.record, created=now()))

    def _read_disk(self, key: str) -> RenderedLeaflet | None:
        folder = self.cache_dir / key
        try:
            meta = json.loads((folder / "leaflet.json").read_text(encoding="utf-8"))
            pdf = (folder / "leaflet.pdf").read_bytes()
            previews = tuple(
                (folder / f"page-{number}.png").read_bytes()
                for number in range(1, meta["previews"] + 1)
            )
            record = LeafletRecord(**meta["record"])
            os.utime(folder)  # recently used: pruned last
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return RenderedLeaflet(
            pdf,
            previews,
            meta["title"],
            meta["file_name"],
            record,
            meta["pages"],
            tuple(meta["notes"]),
        )

    def _write_disk(self, key: str, leaflet: RenderedLeaflet) -> None:
        """Store a leaflet; a cache that cannot be written only costs speed."""
        target = self.cache_dir / key
        if target.is_dir():
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.cache_dir))
        except OSError:
            return
        try:
            (staging / "leaflet.pdf").write_bytes(leaflet.pdf)
            for number, image in enumerate(leaflet.previews, start=1):
                (staging / f"page-{number}.png").write_bytes(image)
            meta = {
                "pages": leaflet.pages,
                "previews": len(leaflet.previews),
                "title": leaflet.title,
                "file_name": leaflet.file_name,
                "notes": list(leaflet.notes),
                "record": asdict(leaflet.record),
            }
            (staging / "leaflet.json").write_text(json.dumps(meta), encoding="utf-8")
            staging.rename(target)
            self._prune_disk()
        except OSError:  # full disk, or another thread stored it first
            shutil.rmtree(staging, ignore_errors=True)

    def _prune_disk(self) -> None:
        """Keep the most recently used entries; another thread may be pruning too."""
        entries = []
        for entry in self.cache_dir.iterdir():
            try:
                if not entry.name.startswith("."):
                    entries.append((entry.stat().st_mtime, entry))
            except OSError:
                continue
        entries.sort(reverse=True)
        for _, stale in entries[self.disk_entries :]:
            shutil.rmtree(stale, ignore_errors=True)
