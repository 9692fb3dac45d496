"""How hard a block is to read: Flesch-Kincaid grade and SMOG, measured on its prose.

A block's short version (after ``<!-- short -->``) is scored on its own, to the same targets:
the tri-fold and card print it in place of the full text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_GRADE = 6.0
"""Flesch-Kincaid grade a patient leaflet should not exceed (about age 11-12)."""
MAX_SMOG = 8.0
"""SMOG index a patient leaflet should not exceed."""

PLACEHOLDER = re.compile(r"\{\{.*?\}\}")
LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
ADMONITION = re.compile(r"^\s*!!!\s+\w+(?:\s+\"([^\"]*)\")?\s*$")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Readability:
    """Scores for one block; lower is easier."""

    grade: float
    smog: float
    words: int

    @property
    def above_target(self) -> bool:
        return self.grade > MAX_GRADE or self.smog > MAX_SMOG


def prose(markdown_text: str) -> str:
    """The sentences a patient reads: no headings, list markers, emphasis or placeholders.

    Each list item or line counts as a sentence of its own, unless it leads into a
    list (ends with a colon), so short bullet points are not glued into one long
    sentence.
    """
    sentences = []
    for raw_line in markdown_text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith(("#", "|", "---")) or ADMONITION.match(line):
            continue
        line = LIST_MARKER.sub("", line)
        line = LINK.sub(r"\1", line)
        line = HTML_TAG.sub("", PLACEHOLDER.sub("", line)).replace("**", "").replace("__", "")
        line = " ".join(line.split())
        if not line:
            continue
        if line[-1] not in ".!?:":
            line += "."
        sentences.append(line)
    return " ".join(sentences)


def measure(markdown_text: str) -> Readability:
    """Score a block's Markdown with textstat (imported here: only ``check`` needs it)."""
    import textstat

    text = prose(markdown_text)
    return Readability(
        grade=round(textstat.flesch_kincaid_grade(text), 1),
        smog=round(textstat.smog_index(text), 1),
        words=textstat.lexicon_count(text),
    )


def measure_versions(body: str, short_body: str | None) -> list[tuple[str, Readability]]:
    """The scores of a block's full text and, when it has one, of its short version.

    Each comes with how a message names that text: ``""`` for the full text, ``"its short
    version"`` for the other.
    """
    scores = [("", measure(body))]
    if short_body is not None:
        scores.append(("its short version", measure(short_body)))
    return scores
