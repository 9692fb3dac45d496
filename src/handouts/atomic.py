"""Write files so a reader never sees a half-written leaflet, and only over regular files."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from .errors import HandoutsError
from .paths import display_path

NEW_FILE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
"""A temporary file is always a new file: never an existing one, never through a symlink."""

KINDS = {
    stat.S_ISLNK: "a symbolic link",
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a named pipe (FIFO)",
    stat.S_ISCHR: "a device",
    stat.S_ISBLK: "a device",
    stat.S_ISSOCK: "a socket",
}


class NotARegularFile(HandoutsError):
    """The output path exists and is not a regular file, so it is never replaced."""


def _refuse_unless_regular(path: Path) -> None:
    """Pass when ``path`` is missing or a regular file (not a link to one); else refuse."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in KINDS.items() if test(mode)), "something else")
    raise NotARegularFile(
        f"{display_path(path)}: is {kind}, not a regular file; handouts replaces only "
        "regular files, so remove it or choose another file name"
    )


def _new_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """Create a new, empty temporary file in ``folder``: its descriptor and path."""
    for _ in range(100):
        candidate = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(candidate, NEW_FILE_FLAGS, 0o600), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in {folder}")


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.

    ``mode``: the file's permissions (0o600 for one that names patients).

    Only a regular file is replaced: a symbolic link (even to a regular file), a named
    pipe, a device such as /dev/null, a socket or a folder raises ``NotARegularFile``.
    """
    path = Path(path)
    _refuse_unless_regular(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = _new_temporary(path.parent, path.name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        _refuse_unless_regular(path)  # made in the meantime: still never replaced
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def save_file(path: Path, data: bytes) -> None:
    """Write ``data`` atomically; HandoutsError names the file and what to do if it cannot."""
    try:
        write_atomically(path, data)
    except OSError as error:
        raise HandoutsError(
            f"{display_path(path)}: cannot write the file ({error.strerror}); "
            "choose a folder you can save to"
        ) from None
