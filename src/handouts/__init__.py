"""handouts: branded, plain-language patient leaflets for aesthetic and dermatology clinics.

The public API is loaded on first use, so commands that only read the kit (``list``,
``check``, ``history``) start quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "BuildResult": "leaflet",
    "Handout": "build",
    "Leaflet": "leaflet",
    "LeafletRequest": "request",
    "assemble_html": "build",
    "build_handout": "leaflet",
    "make_leaflet": "leaflet",
    "Clinic": "config",
    "load_clinic": "config",
    "ContentLibrary": "content",
    "ConfigError": "errors",
    "ContentError": "errors",
    "HandoutsError": "errors",
    "RenderError": "errors",
    "TemplateError": "errors",
}

if TYPE_CHECKING:
    from .build import Handout, assemble_html
    from .config import Clinic, load_clinic
    from .content import ContentLibrary
    from .errors import ConfigError, ContentError, HandoutsError, RenderError, TemplateError
    from .leaflet import BuildResult, Leaflet, build_handout, make_leaflet
    from .request import LeafletRequest


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'handouts' has no attribute {name!r}")


__all__ = [
    "BuildResult",
    "Clinic",
    "ConfigError",
    "ContentError",
    "ContentLibrary",
    "Handout",
    "HandoutsError",
    "Leaflet",
    "LeafletRequest",
    "RenderError",
    "TemplateError",
    "__version__",
    "assemble_html",
    "build_handout",
    "load_clinic",
    "make_leaflet",
]
