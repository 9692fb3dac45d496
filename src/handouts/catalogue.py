"""The treatment list, remembered: ``handouts list`` answers without loading the library.

The list is kept in the data folder under the kit's fingerprint (``paths.kit_fingerprint``):
the handouts version and the name, size and time of every kit and built-in file. Any edit makes a
new key, so the list is read again (and clinic.yaml validated again) only when it can
have changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .paths import DEMO_CLINIC_DIR, data_folder, kit_fingerprint


def _kit_folder(clinic_dir: Path | None) -> Path:
    folder = Path(clinic_dir) if clinic_dir is not None else DEMO_CLINIC_DIR
    if folder.is_file() and folder.suffix in (".yaml", ".yml"):
        folder = folder.parent
    return folder.resolve()


def treatment_catalogue(clinic_dir: Path | None = None) -> list[dict[str, object]]:
    """Every treatment the clinic can build: name, title, summary, languages, blocks."""
    kit = _kit_folder(clinic_dir)
    key = None
    if kit.is_dir():
        key = kit_fingerprint(kit)
        remembered = _read(key)
        if remembered is not None:
            return remembered
    from .config import load_clinic  # validation: only when something changed
    from .content import ContentLibrary

    entries = ContentLibrary(load_clinic(clinic_dir).kit_dir).catalogue()
    if key is not None:
        _write(key, entries)
    return entries


def _path(key: str) -> Path:
    return data_folder() / "cache" / f"treatments-{key[:32]}.json"


def _read(key: str) -> list[dict[str, object]] | None:
    try:
        return json.loads(_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(key: str, entries: list[dict[str, object]]) -> None:
    """Remember the list; a cache that cannot be written only costs speed."""
    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = path.with_suffix(".tmp")
        staging.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
        staging.replace(path)
    except OSError:
        pass
