"""What a booking system calls a service, matched to our treatment.

A service matches a treatment's slug, its title, its ``also_known_as`` and ``booked_as``
names (in every language it is written in) and the kit's own ``appointments.treatments``
names, ignoring case, accents and punctuation. ``"Microneedling - Face"`` or ``"Botox (3
areas)"`` that match nothing whole are tried again without what follows `` - ``, ``:`` or ``(``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from .content import ContentLibrary
from .errors import HandoutsError

SEVERAL = re.compile(r"\s*[;,+]\s*")
"""Between several services in one cell."""
QUALIFIER = re.compile("\\s+[-\u2013\u2014]\\s+.*$|\\s*:\\s.*$|\\s*\\(.*$")
"""A trailing detail: ``- Face``, ``: 3 areas``, ``(60 min)``."""
AMBIGUOUS = object()


def normalised(name: str) -> str:
    """``"Chemical-Peel!"`` -> ``"chemical peel"``: lower case, no accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", letters).split())


class ServiceNames:
    """Every name the clinic's treatments answer to, each pointing at one treatment."""

    def __init__(self, library: ContentLibrary, kit_names: Mapping[str, str]) -> None:
        slugs = library.slugs()
        unknown = sorted({slug for slug in kit_names.values() if slug not in slugs})
        if unknown:
            raise HandoutsError(
                f"clinic.yaml: appointments.treatments: no treatment {', '.join(unknown)}; "
                f"use one of {', '.join(slugs)}"
            )
        names: dict[str, object] = {}
        for slug in slugs:
            for name in _library_names(library, slug):
                key = normalised(name)
                if key and names.setdefault(key, slug) != slug:
                    names[key] = AMBIGUOUS  # two treatments say it: only the kit can choose
        for slug in slugs:  # a treatment's own name is never ambiguous
            names[normalised(slug)] = slug
        names.update({normalised(name): slug for name, slug in kit_names.items()})
        self._names = names

    def treatment(self, service: str) -> str | None:
        """The treatment ``service`` names, or None when it names none (or several)."""
        key = normalised(service)
        found = self._names.get(key)
        if found is None:
            shorter = normalised(QUALIFIER.sub("", service))
            found = self._names.get(shorter) if shorter and shorter != key else None
        return found if isinstance(found, str) else None

    def treatments(self, cell: str) -> tuple[tuple[str, ...], list[str]]:
        """The treatments a service cell names (the whole cell, else each of its parts),
        and the parts that name none."""
        cell = cell.strip()
        whole = self.treatment(cell) if cell else None
        if whole is not None:
            return (whole,), []
        parts = [part for part in SEVERAL.split(cell) if part.strip()]
        found = {part: self.treatment(part) for part in parts}
        slugs = tuple(dict.fromkeys(slug for slug in found.values() if slug))
        return slugs, [part for part, slug in found.items() if slug is None]


def _library_names(library: ContentLibrary, slug: str) -> list[str]:
    """The slug, titles, ``also_known_as`` and ``booked_as`` of one treatment."""
    treatment = library.treatment(slug)
    names = [slug.replace("-", " "), *treatment.meta.booked_as]
    for language in library.languages(treatment):
        words = library.treatment(slug, language).meta
        names += [words.title, *words.also_known_as]
    return names
