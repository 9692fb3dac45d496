"""The paper sizes and layouts a leaflet can have (kept light: the command line reads them)."""

from __future__ import annotations

from typing import Literal, get_args

Paper = Literal["a4", "letter", "a5"]
PAPERS: tuple[str, ...] = get_args(Paper)
PAPER_NAMES = {"a4": "A4", "letter": "US Letter", "a5": "A5"}
"""How each paper size is written for people."""
Layout = Literal["leaflet", "trifold", "card"]
LAYOUTS: tuple[str, ...] = get_args(Layout)
"""leaflet: pages of sections; trifold: one sheet folded in three; card: one aftercare page."""
