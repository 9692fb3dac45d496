"""Reading the clinic kit's files: only inside the kit or the built-in folders, text as UTF-8.

clinic.yaml, treatment.yaml, blocks, labels and templates are all read here, and the logo,
font, stylesheets and everything WeasyPrint fetches are checked with ``outside_problem``. So
a symbolic link anywhere on the way (a linked ``content/`` folder as much as a linked file)
that leads out of the kit, or a file saved as UTF-16, is one line naming the file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from .paths import display_path

OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
"""Non-blocking, so a named pipe put where a file should be cannot hang the read."""


class KitFileError(ValueError):
    """A kit file that cannot be used; the message names it and says what to do."""


@lru_cache(maxsize=64)
def _real_root(root: Path) -> Path:
    """The real path of an absolute root: the kit or a built-in folder, which stay put while
    we run (a kit is loaded by its real path, ``Clinic.kit_dir``)."""
    return root.resolve()


def outside_problem(path: Path, roots: Sequence[Path]) -> str | None:
    """Why ``path`` may not be read (it leads outside ``roots``), or None when it may.

    The path is resolved, so symbolic links on the way count wherever they sit; a link
    that stays inside the kit is fine.
    """
    real = Path(path).resolve()
    real_roots = [_real_root(Path(os.path.abspath(root))) for root in roots]
    if any(real.is_relative_to(root) for root in real_roots):
        return None
    written = Path(os.path.abspath(path))  # ".." taken away as written, links not followed
    folders = [*real_roots, *(Path(os.path.abspath(root)) for root in roots)]
    if any(written.is_relative_to(folder) for folder in folders):
        return (
            f"leads outside the clinic kit (to {real}) through a symbolic link; "
            "copy the file into the kit instead of linking to it"
        )
    return "is outside the clinic kit; copy the file into the kit"


def check_inside(path: Path, roots: Sequence[Path]) -> Path:
    """The real path of ``path``; KitFileError naming it if it leads outside ``roots``."""
    problem = outside_problem(path, roots)
    if problem:
        raise KitFileError(f"{display_path(path)}: {problem}")
    return Path(path).resolve()


def read_kit_bytes(path: Path, roots: Sequence[Path] | None = None) -> bytes:
    """The bytes of the regular file ``path`` (checked to lie in ``roots`` when given)."""
    real = check_inside(path, roots) if roots is not None else Path(path)
    try:
        handle = os.open(real, OPEN_FLAGS)
    except FileNotFoundError:
        raise KitFileError(f"{display_path(path)}: file not found") from None
    except OSError as error:
        raise KitFileError(f"{display_path(path)}: cannot read ({error.strerror})") from None
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise KitFileError(f"{display_path(path)}: not a regular file; put a text file there")
        return stream.read()


def decode_text(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text (a byte order mark is fine); else KitFileError naming ``source``."""
    if b"\0" in data:
        raise KitFileError(
            f"{source}: not UTF-8 text (it looks like UTF-16 or a binary file); save it as UTF-8"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KitFileError(f"{source}: not UTF-8 text; save it as UTF-8") from None


def read_kit_text(path: Path, roots: Sequence[Path] | None = None) -> str:
    """The UTF-8 text of kit file ``path``; KitFileError names the file and what to do."""
    return decode_text(read_kit_bytes(path, roots), display_path(path))
