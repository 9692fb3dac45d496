"""The paper sizes and layouts a leaflet can have: one table each (kept light: the CLI reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Paper = Literal["a4", "letter", "a5"]
PAPERS: tuple[str, ...] = get_args(Paper)
PAPER_NAMES = {"a4": "A4", "letter": "US Letter", "a5": "A5"}
"""How each paper size is written for people."""
PAPER_CHOICES = {**PAPER_NAMES, "a5": "A5 (half of A4)"}
"""Paper sizes as a form offers them."""

Layout = Literal["leaflet", "trifold", "card"]
LAYOUTS: tuple[str, ...] = get_args(Layout)


@dataclass(frozen=True)
class LayoutInfo:
    """What a layout is called, what it prints on and how many pages it may take."""

    name: str
    """As staff read it: "Tri-fold brochure"."""
    detail: str
    """A few words after the name on a form."""
    described: str
    """As a sentence names it: "the tri-fold sheet"."""
    template: str
    title_label: str
    kind_label: str
    page_limit: int | None = None
    """Pages the text must fit on; more is an error naming the block."""
    papers: tuple[str, ...] = PAPERS
    large_print_page_limit: int | None = None
    """Pages in large print, when that differs (the card then uses both sides)."""
    large_print_described: str = ""
    """As a sentence names it in large print, when that differs."""

    def pages(self, large_print: bool = False) -> int | None:
        """How many pages the text must fit on, in large print or not."""
        if large_print and self.large_print_page_limit is not None:
            return self.large_print_page_limit
        return self.page_limit

    def described_as(self, large_print: bool = False) -> str:
        """How a sentence names it, in large print or not."""
        return (self.large_print_described or self.described) if large_print else self.described


LAYOUT_INFO: dict[str, LayoutInfo] = {
    "leaflet": LayoutInfo(
        "Leaflet", "2 pages", "the leaflet", "leaflet.html", "document_title", "leaflet_kind"
    ),
    "trifold": LayoutInfo(
        "Tri-fold brochure",
        "A4 or Letter",
        "the tri-fold sheet",
        "trifold.html",
        "document_title",
        "leaflet_kind",
        page_limit=2,
        papers=("a4", "letter"),
    ),
    "card": LayoutInfo(
        "Aftercare card",
        "1 page (both sides in large print)",
        "the one-page card",
        "leaflet.html",  # the leaflet template with fewer blocks
        "card_title",
        "card_kind",
        page_limit=1,
        large_print_page_limit=2,
        large_print_described="the two-sided large-print card",
    ),
}
"""Every layout: leaflet (pages of sections), trifold (one sheet folded in three), card
(one page; in large print both sides of one sheet)."""


def paper_problem(layout: str, paper: str) -> str | None:
    """Why ``layout`` cannot be printed on ``paper``, or None when it can."""
    info = LAYOUT_INFO[layout]
    if paper in info.papers:
        return None
    allowed = " or ".join(PAPER_NAMES[name] for name in info.papers)
    return f"a {info.name.lower().split()[0]} needs {allowed} paper"
