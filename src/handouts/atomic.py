"""Write files so a reader never sees a half-written leaflet."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_file(path: Path, data: bytes) -> None:
    """Write ``data`` atomically; HandoutsError names the file and what to do if it cannot."""
    from .errors import HandoutsError
    from .paths import display_path

    try:
        write_atomically(path, data)
    except OSError as error:
        raise HandoutsError(
            f"{display_path(path)}: cannot write the file ({error.strerror}); "
            "choose a folder you can save to"
        ) from None
