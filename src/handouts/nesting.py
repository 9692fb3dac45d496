"""How deeply text nests, measured without recursion, before anything recursive reads it.

Python-Markdown, the YAML composer and WeasyPrint's layout all recurse once per level, so a
block of lists in lists in quotes a few hundred deep ends in a RecursionError. These limits
are far above any real leaflet and far below where those break.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_MARKDOWN_LEVELS = 20
"""Lists or quotes inside each other in a content block."""
MAX_HTML_LEVELS = 50
"""HTML elements inside each other in a content block (a Markdown list level makes two)."""
MAX_PAGE_LEVELS = 100
"""HTML elements inside each other in a whole leaflet, template included."""
MAX_YAML_LEVELS = 20
"""Lists or mappings inside each other in a YAML file."""

MARKDOWN_TOO_DEEP = (
    f"nested too deeply (lists or quotes inside each other more than "
    f"{MAX_MARKDOWN_LEVELS} levels); simplify it"
)
HTML_TOO_DEEP = (
    f"nested too deeply (HTML elements inside each other more than "
    f"{MAX_HTML_LEVELS} levels); simplify it"
)

_LEVEL = re.compile(r"[ \t]*(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))")
_INDENT = re.compile(r"[ \t]*")
ELEMENT_NAME = re.compile(r"[a-z][a-z0-9-]*")
"""Not ``<https://example.com>`` or ``<me@example.com>``: Markdown links, not elements."""
VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
})  # fmt: skip
OPTIONAL_END = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody"})
"""Elements a new sibling closes: ``<p>a<p>b`` is two paragraphs, not one inside another."""


class TooDeep(ValueError):
    """Text nested too deeply; the message says where (``line N: ...``) and what to do."""


def markdown_depth(text: str, limit: int = MAX_MARKDOWN_LEVELS) -> tuple[int, int]:
    """The deepest nesting of lists and quotes in Markdown ``text``, and the line (1-based)
    that first goes past ``limit`` (else the deepest line).

    A level is a ``>`` or a list marker, and four columns of indentation before them (a
    nested list item); indentation alone (a code block, a continued line) nests nothing.
    """
    deepest, where = 0, 1
    for number, line in enumerate(text.splitlines(), start=1):
        levels, position = 0, 0
        while marker := _LEVEL.match(line, position):
            levels, position = levels + 1, marker.end()
        if levels:
            levels += len(_INDENT.match(line).group().expandtabs(4)) // 4
        if levels > deepest:
            if deepest <= limit:
                where = number
            deepest = levels
    return deepest, where


class _DepthFinder(HTMLParser):
    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.limit = limit
        self.open: list[str] = []
        self.deepest, self.line = 0, 1

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in VOID_ELEMENTS or not ELEMENT_NAME.fullmatch(tag):
            return
        if tag in OPTIONAL_END and self.open and self.open[-1] == tag:
            self.open.pop()
        self.open.append(tag)
        if len(self.open) > self.deepest:
            if self.deepest <= self.limit:
                self.line = self.getpos()[0]
            self.deepest = len(self.open)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        pass  # <br/>, <div/>: nothing stays open

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass


def html_depth(html: str, limit: int = MAX_HTML_LEVELS) -> tuple[int, int]:
    """The deepest nesting of HTML elements in ``html``, and the line that first goes past
    ``limit`` (else the line where the deepest is reached)."""
    finder = _DepthFinder(limit)
    finder.feed(html)
    finder.close()
    return finder.deepest, finder.line


def check_block_nesting(text: str, first_line: int = 1) -> None:
    """TooDeep (``line N: nested too deeply ...``) if Markdown ``text`` nests past the limits.

    Raw HTML in the text is measured too. ``first_line`` is the file line ``text`` starts on.
    """
    levels, line = markdown_depth(text)
    if levels > MAX_MARKDOWN_LEVELS:
        raise TooDeep(f"line {line + first_line - 1}: {MARKDOWN_TOO_DEEP}")
    levels, line = html_depth(text)
    if levels > MAX_HTML_LEVELS:
        raise TooDeep(f"line {line + first_line - 1}: {HTML_TOO_DEEP}")
