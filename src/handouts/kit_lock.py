"""One writer at a time for a kit's own files: two approvals at once never lose each other.

Each file is also replaced atomically (``atomic.save_file``); the lock keeps a read, change
and write of approvals.yaml or clinic.yaml from overlapping another's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import HandoutsError
from .paths import display_path

LOCK_NAME = ".handouts-kit.lock"

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


@contextmanager
def kit_lock(kit_dir: Path) -> Iterator[None]:
    """Hold the kit's write lock (waiting for another writer to finish)."""
    path = kit_dir / LOCK_NAME
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as error:
        raise HandoutsError(
            f"{display_path(path)}: cannot lock the kit for writing ({error.strerror}); "
            "check this user may write to the kit folder"
        ) from None
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        else:
            msvcrt.locking(handle, msvcrt.LK_LOCK, 1)
        yield
    finally:
        os.close(handle)  # closing lets go of the lock
