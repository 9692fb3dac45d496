"""Where the built-in templates, content and styles live, installed or in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_CLINIC_DIR = PACKAGE_DIR / "demo"


@cache
def builtin_dir(name: str) -> Path:
    """Return the built-in ``templates``, ``content`` or ``styles`` folder.

    A wheel carries them inside the package; an editable install or a checkout
    finds them at the repository root, two levels above ``src/handouts``.
    """
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"built-in folder {name!r} not found next to {PACKAGE_DIR}")
