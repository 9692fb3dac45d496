"""Where the built-in templates, content and styles live, installed or in a checkout."""

from __future__ import annotations

import os
import stat
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_CLINIC_DIR = PACKAGE_DIR / "demo"


@cache
def is_demo_kit(kit_dir: Path | None) -> bool:
    """Whether ``kit_dir`` is the built-in demo clinic (None stands for it), which is part
    of handouts and never changed."""
    return kit_dir is None or kit_dir.resolve() == DEMO_CLINIC_DIR.resolve()


def builtin_dir(name: str) -> Path:
    """Return the built-in ``templates``, ``content`` or ``styles`` folder.

    A wheel carries them inside the package; an editable install or a checkout
    finds them at the repository root, two levels above ``src/handouts``.
    """
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"built-in folder {name!r} not found next to {PACKAGE_DIR}")


def resource_roots(kit_dir: Path | None) -> list[Path]:
    """The only folders a render may read: the clinic kit and the built-in folders."""
    roots = [builtin_dir(name) for name in ("templates", "content", "styles")]
    if kit_dir is not None:
        roots.append(kit_dir)
    return roots


def display_path(path: Path) -> str:
    """Path as the user would type it: relative to the current folder when inside it.

    Symbolic links are not followed, so a message about a link names the link itself.
    """
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def file_url_path(url: str, follow_links: bool = True) -> Path:
    """The real (symlinks resolved) path behind a ``file:`` URL; as written without links."""
    from urllib.request import url2pathname  # slow to import; only renders need it

    path = Path(url2pathname(unquote(urlsplit(url).path)))
    return path.resolve() if follow_links else path


def inside(path: Path, roots: list[Path]) -> bool:
    """True if the resolved ``path`` lies in one of ``roots``."""
    return any(path.is_relative_to(root.resolve()) for root in roots)


IGNORED_SUFFIXES = (".pdf", ".eml", ".sqlite", ".sqlite-journal", ".sqlite-wal", ".lock")
"""Files a kit gathers (leaflets made, emails, the history) that never shape a leaflet.

Pictures (``.png``) and templates (``.html``) do, so they always count.
"""


def kit_fingerprint(kit_dir: Path | None) -> str:
    """Digest of the handouts version and every file of the kit and the built-in library.

    Any edit to clinic.yaml, a block, a template, a style, a picture or a font gives a new
    digest: the one key every cache of leaflets, treatment lists and copies is kept under.
    """
    import hashlib

    from . import __version__

    digest = hashlib.sha256(f"handouts {__version__}".encode())
    folders = [builtin_dir(name) for name in ("templates", "content", "styles")]
    for folder in [*folders, *([kit_dir.resolve()] if kit_dir is not None else [])]:
        digest.update(f"\0{folder}\0{fingerprint(folder)!r}".encode())
    return digest.hexdigest()


def fingerprint(folder: Path) -> tuple:
    """Name, size and time of every file that can shape a leaflet in ``folder``."""
    files = []
    for path in sorted(folder.rglob("*")):
        if path.name.endswith(IGNORED_SUFFIXES):
            continue
        try:
            info = path.stat()
        except OSError:  # removed while we looked (an editor's temporary file)
            continue
        if stat.S_ISREG(info.st_mode):
            files.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(files)


HOME_VARIABLE = "HANDOUTS_HOME"
"""Environment variable naming the data folder (the demo clinic's history, the web cache)."""


def data_folder() -> Path:
    """This user's handouts data folder: ``$HANDOUTS_HOME``, else the platform's app folder."""
    home = os.environ.get(HOME_VARIABLE)
    if not home:
        import click

        home = click.get_app_dir("handouts")
    return Path(home)
