"""A patient's appointment: the personal details printed on their copy of a leaflet.

These values come from reception staff or a booking system's CSV export. They are
data: never templates, never markup, and checked before anything is rendered.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from .glyphs import missing_characters

MAX_NAME_LENGTH = 200
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Invisible characters that reorder the text around them: a name never needs them."""
UNSAFE_IN_FILE_NAMES = re.compile(r"[^\w]+")


class AppointmentError(ValueError):
    """A personal value that cannot be printed faithfully."""


@dataclass(frozen=True)
class Appointment:
    """Who the leaflet is for and when they are seen; every field is optional."""

    patient: str | None = None
    date: date | None = None
    time: time | None = None
    practitioner: str | None = None

    def __bool__(self) -> bool:
        return any((self.patient, self.date, self.time, self.practitioner))

    def checked(self, extra_font: Path | None = None) -> Appointment:
        """This appointment with names tidied; AppointmentError names the bad field."""
        return Appointment(
            patient=_clean("patient", self.patient, extra_font),
            date=self.date,
            time=self.time,
            practitioner=_clean("practitioner", self.practitioner, extra_font),
        )


def _clean(field: str, value: str | None, extra_font: Path | None) -> str | None:
    if value is None:
        return None
    value = " ".join(unicodedata.normalize("NFC", value).split())
    if not value:
        return None
    if len(value) > MAX_NAME_LENGTH:
        raise AppointmentError(f"{field}: longer than {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(character) == "Cc" for character in value):
        raise AppointmentError(f"{field}: contains control characters")
    if any(character in BIDI_CONTROLS for character in value):
        raise AppointmentError(
            f"{field}: contains hidden direction marks; type the name again without pasting"
        )
    if not any(character.isalnum() for character in value):
        raise AppointmentError(f"{field}: has no letters; type the name")
    missing = missing_characters(value, extra_font)
    if missing:
        shown = " ".join(missing[:5])
        raise AppointmentError(
            f"{field}: no bundled font can print {shown}; write the name in Latin, Greek, "
            "Cyrillic, Arabic, Hebrew or Chinese letters"
        )
    return value


def leaflet_file_name(treatments: tuple[str, ...] | list[str], appointment: Appointment) -> str:
    """``<date>_<patient>_<treatments>.pdf`` for a personal copy, ``<treatments>.pdf`` otherwise.

    Only letters, digits, ``-``, ``_`` and ``+``: safe on every file system.
    """
    joined = "+".join(treatments)
    if not appointment:
        return f"{joined}.pdf"
    day = appointment.date.isoformat() if appointment.date else "undated"
    patient = UNSAFE_IN_FILE_NAMES.sub("-", appointment.patient or "").strip("-_")
    return f"{day}_{patient[:60] or 'patient'}_{joined}.pdf"
