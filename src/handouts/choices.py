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
    two_sided_page_limit: int | None = None
    """Pages when both sides of the sheet are used: in large print, and on the papers
    in ``two_sided_papers`` (a card on A5 is too small for one side)."""
    two_sided_papers: tuple[str, ...] = ()
    two_sided_described: str = ""
    """As a sentence names it when both sides are used."""

    def two_sided(self, large_print: bool = False, paper: str = "") -> bool:
        """Whether the text uses both sides of the sheet."""
        return self.two_sided_page_limit is not None and (
            large_print or paper in self.two_sided_papers
        )

    def pages(self, large_print: bool = False, paper: str = "") -> int | None:
        """How many pages the text must fit on, in large print or not, on ``paper``."""
        if self.two_sided(large_print, paper):
            return self.two_sided_page_limit
        return self.page_limit

    def described_as(self, large_print: bool = False, paper: str = "") -> str:
        """How a sentence names it, in large print or not, on ``paper``."""
        if not self.two_sided(large_print, paper):
            return self.described
        if large_print:
            return self.two_sided_described.replace("two-sided", "two-sided large-print")
        return self.two_sided_described


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
        "1 page (both sides on A5 or in large print)",
        "the one-page card",
        "leaflet.html",  # the leaflet template with fewer blocks
        "card_title",
        "card_kind",
        page_limit=1,
        two_sided_page_limit=2,
        two_sided_papers=("a5",),
        two_sided_described="the two-sided card",
    ),
}
"""Every layout: leaflet (pages of sections), trifold (one sheet folded in three), card
(one page; on A5 and in large print both sides of one sheet)."""


def paper_problem(layout: str, paper: str) -> str | None:
    """Why ``layout`` cannot be printed on ``paper``, or None when it can."""
    info = LAYOUT_INFO[layout]
    if paper in info.papers:
        return None
    allowed = " or ".join(PAPER_NAMES[name] for name in info.papers)
    return f"a {info.name.lower().split()[0]} needs {allowed} paper"
