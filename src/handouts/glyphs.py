"""Which characters the bundled fonts can draw, so a name never prints as an empty box."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from .errors import HandoutsError
from .paths import builtin_dir, display_path

FONT_FILES = (
    "AtkinsonHyperlegible-Regular.ttf",
    "NotoSans-Regular.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansSC-Regular-GB2312.ttf",
)
"""The regular face of every family in the leaflet's fallback chain (styles/fonts.css)."""


@cache
def _characters(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # only needed when text is checked

    try:
        with path.open("rb") as data, TTFont(data, lazy=True) as font:
            return frozenset(font.getBestCmap())
    except Exception:  # fontTools raises many kinds of error for a damaged file
        raise HandoutsError(
            f"{display_path(path)}: not a font file that can be read; use a .ttf, .otf or .woff"
        ) from None


def missing_characters(text: str, extra_font: Path | None = None) -> list[str]:
    """Characters in ``text`` that no bundled font (nor ``extra_font``) can draw."""
    fonts = [builtin_dir("styles") / "fonts" / name for name in FONT_FILES]
    if extra_font is not None:
        fonts.append(extra_font)
    drawable = frozenset().union(*(_characters(path) for path in fonts))
    missing = []
    for character in text:
        invisible = unicodedata.category(character) in ("Zs", "Cf", "Mn", "Cc")
        if ord(character) not in drawable and not invisible and character not in missing:
            missing.append(character)
    return missing
