"""Clinic details broken inside a word: where each may wrap, and finding the breaks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .proof_checks import ClinicDetails, Line

INVISIBLE = re.compile("[\\s\u00ad\u200b-\u200f\u2060\u2066-\u2069\ufeff]+")
"""Spaces, soft hyphens and direction marks: they are not part of what a reader sees."""
DASHES = "-\u2010\u2011"

BREAKS = {"name": " ", "phone": " ", "e-mail": "@./", "website": "./"}
"""Where each clinic detail may wrap: a name or a phone number between its words (as any
words in a sentence), an address only after "@", "." or "/" (a line may end there without
cutting a word). A break after a hyphen of the detail cuts a word: it reads as hyphenation."""


def detail_problems(lines: list[list[Line]], details: ClinicDetails) -> list[str]:
    """Each clinic detail that some line break cuts inside a word."""
    text = "\n".join(INVISIBLE.sub("", line.text) for page in lines for line in page)
    problems = []
    for what, detail in (("name", details.name), *details.whole):
        for pieces in broken(text, detail, BREAKS[what]):
            shown = " / ".join(pieces)
            problems.append(f"clinic {what} {detail!r} broken inside a word ({shown!r})")
            break
    return problems


def broken(text: str, detail: str, breaks: str = "") -> list[list[str]]:
    """Each place ``detail`` stands in ``text`` cut by a line break (``\\n``), as its pieces.

    A break after one of ``breaks`` (a space: between words) is fine. ``text`` and the
    detail are compared without spaces, as PDF text may drop or add them.
    """
    letters, allowed = "", set()
    for char in detail.strip():
        if INVISIBLE.fullmatch(char):
            if " " in breaks:
                allowed.add(len(letters))
            continue
        letters += char
        if char in breaks:
            allowed.add(len(letters))
    if not letters:
        return []
    pattern = "".join(
        re.escape(letter) + ("" if index == len(letters) - 1 else f"(?:[{DASHES}]?\n)?")
        for index, letter in enumerate(letters)
    )
    found = []
    for match in re.finditer(pattern, text):
        if "\n" not in match.group():
            continue
        cuts, index = [], 0
        for char in match.group():
            if char == "\n":
                cuts.append(index)
            elif index < len(letters) and char == letters[index]:
                index += 1  # else a hyphen the break added
        if not all(cut in allowed for cut in cuts):
            found.append(match.group().split("\n"))
    return found
