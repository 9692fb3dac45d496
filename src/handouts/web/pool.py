"""The web app's leaflet workers and caches.

Rendering runs in a pool of worker processes, so a slow render never holds the web
server's threads. Non-personal leaflets are kept in memory and on disk under a key made
of the request and the kit's fingerprint (``paths.kit_fingerprint``): an edited kit
shows at once.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, replace
from pathlib import Path

from ..clock import today
from ..errors import RenderError
from ..history import LeafletRecord, now
from ..paths import kit_fingerprint
from ..request import LeafletRequest
from .leaflets import RenderedLeaflet, render_leaflet, start_web_worker


class LeafletPool:
    """Makes leaflets in worker processes; keeps non-personal ones in memory and on disk."""

    def __init__(
        self,
        kit_dir: Path,
        cache_dir: Path,
        workers: int | None = None,
        memory_entries: int = 32,
        disk_entries: int = 200,
        prepare: bool = True,
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
        self._context = multiprocessing.get_context("spawn")
        self._prepared = self._context.Value("i", 0)
        self._prepare = prepare

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=self._context,
                    max_tasks_per_child=200,  # keeps a long-running server's memory flat
                    initializer=start_web_worker,
                    initargs=(self.kit_dir, self._prepared if self._prepare else None),
                )
            return self._pool

    def start(self) -> None:
        """Start every worker now; each prepares the kit's leaflets in the background."""
        pool = self._executor()
        for future in [pool.submit(int) for _ in range(self.workers)]:
            future.result()

    @property
    def prepared(self) -> bool:
        """True once every worker has prepared the kit's leaflets."""
        return self._prepared.value >= self.workers

    @property
    def preparations(self) -> int:
        """How many times a worker has finished preparing the kit's leaflets (a kit change
        makes each worker prepare again)."""
        return self._prepared.value

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(cancel_futures=True)

    def make(self, request: LeafletRequest, previews: bool = True) -> RenderedLeaflet:
        """The leaflet for ``request``: from a cache when it is not personal, else rendered.

        Raises the HandoutsError that says why the kit cannot make it.
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
        digest = hashlib.sha256(kit_fingerprint(self.kit_dir).encode())
        digest.update(repr((request.options, today())).encode())  # today: reviews overdue
        return digest.hexdigest()

    def _render(self, request: LeafletRequest, previews: bool) -> RenderedLeaflet:
        for attempt in (1, 2):
            try:
                future = self._executor().submit(render_leaflet, self.kit_dir, request, previews)
                return future.result()
            except BrokenProcessPool:  # a worker died (out of memory?): start afresh once
                with self._lock:
                    self._pool = None
                if attempt == 2:
                    raise RenderError("the leaflet maker stopped; try again") from None
        raise AssertionError("unreachable")

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
