"""``handouts init``: write a new clinic kit, ready to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import HandoutsError
from .paths import PACKAGE_DIR, display_path

KIT_TEMPLATE_DIR = PACKAGE_DIR / "kit_template"
KIT_FOLDERS = ("content", "templates", "styles")
EXAMPLE_VALUES = {
    "name": "Your Clinic Name",
    "phone": "Your phone number",
    "address": "1 Example Street, Example Town, AB1 2CD",
}
"""Placeholder values in a new kit's clinic.yaml; ``check`` reports any left unchanged."""


def init_kit(kit_dir: Path | str) -> Path:
    """Create a clinic kit in ``kit_dir``; refuse if the folder already has files."""
    kit_dir = Path(kit_dir)
    where = display_path(kit_dir)
    if kit_dir.is_file():
        raise HandoutsError(f"{where}: is a file; choose a new folder name (nothing was changed)")
    if kit_dir.is_dir() and any(kit_dir.iterdir()):
        raise HandoutsError(
            f"{where}: already exists and is not empty; choose a new folder name "
            "(nothing was changed)"
        )
    try:
        shutil.copytree(
            KIT_TEMPLATE_DIR,
            kit_dir,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        for folder in KIT_FOLDERS:
            (kit_dir / folder).mkdir(exist_ok=True)
    except OSError as error:
        raise HandoutsError(
            f"{where}: cannot create the kit ({error.strerror}); choose a folder you can save to"
        ) from None
    return kit_dir
