"""Leaflets staff have just made, kept in memory for a while under an unguessable id.

The preview page, the download and print buttons and the email button all use the
same copy, so what staff looked at is exactly what the patient gets. Personal copies
never touch the disk here.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from ..request import LeafletRequest
from .leaflets import RenderedLeaflet

KEEP_SECONDS = 2 * 60 * 60
MAX_KEPT = 200


@dataclass(frozen=True)
class Preview:
    """A made leaflet and the choices that made it (to fill the form again)."""

    request: LeafletRequest
    leaflet: RenderedLeaflet
    email: str | None
    made: float


class PreviewStore:
    """Recent previews by id; the oldest go first, and none outlives KEEP_SECONDS."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS, max_kept: int = MAX_KEPT) -> None:
        self.keep_seconds = keep_seconds
        self.max_kept = max_kept
        self._kept: OrderedDict[str, Preview] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, request: LeafletRequest, leaflet: RenderedLeaflet, email: str | None) -> str:
        preview_id = secrets.token_urlsafe(18)
        with self._lock:
            self._drop_expired()
            self._kept[preview_id] = Preview(request, leaflet, email, time.monotonic())
            while len(self._kept) > self.max_kept:
                self._kept.popitem(last=False)
        return preview_id

    def get(self, preview_id: str) -> Preview | None:
        with self._lock:
            self._drop_expired()
            return self._kept.get(preview_id)

    def _drop_expired(self) -> None:
        oldest_allowed = time.monotonic() - self.keep_seconds
        while self._kept:
            first = next(iter(self._kept.values()))
            if first.made >= oldest_allowed:
                break
            self._kept.popitem(last=False)
