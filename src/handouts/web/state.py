"""What the web app keeps while it runs, and the clinic as of this request."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g

from ..config import Clinic, load_clinic
from .pool import LeafletPool
from .previews import PreviewStore


@dataclass
class WebState:
    """One running app's clinic kit, leaflet maker and recent previews."""

    kit_dir: Path
    maker: LeafletPool
    previews: PreviewStore


def state() -> WebState:
    return current_app.extensions["handouts"]


def clinic() -> Clinic:
    """The clinic, read again for each request so an edited clinic.yaml shows at once."""
    if "clinic" not in g:
        g.clinic = load_clinic(state().kit_dir)
    return g.clinic
