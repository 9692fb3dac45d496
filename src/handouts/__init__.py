"""handouts: branded, plain-language patient leaflets for aesthetic and dermatology clinics."""

__version__ = "0.1.0"

from .build import BuildResult, Handout, assemble_html, build_handout
from .config import Clinic, load_clinic
from .content import ContentLibrary
from .errors import (
    ConfigError,
    ContentError,
    HandoutsError,
    RenderError,
    TemplateError,
)

__all__ = [
    "BuildResult",
    "Clinic",
    "ConfigError",
    "ContentError",
    "ContentLibrary",
    "Handout",
    "HandoutsError",
    "RenderError",
    "TemplateError",
    "__version__",
    "assemble_html",
    "build_handout",
    "load_clinic",
]
