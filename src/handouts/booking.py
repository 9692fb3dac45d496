"""A booking, as every source (CSV export, calendar, FHIR, the webhook) reads it.

The value the readers make and the appointment store keeps: low in the layers, so a
reader needs nothing of the store. Starts are the clinic's local time.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import date

BOOKED, RESCHEDULED, CANCELLED = "booked", "rescheduled", "cancelled"


@dataclass(frozen=True)
class Booking:
    """One booking: what a source says, and (once stored) its status and dates."""

    id: str
    """Stable: ``<kind>:<the source's own id>``, or ``<kind>:row:<digest>`` (``booking_id``)."""
    source: str
    """Where it was last read from: ``csv:<file name>``, ``ical:<file name or feed address>``,
    ``fhir:<...>``, or ``webhook`` for a call to ``POST /api/appointments``."""
    source_id: str | None
    patient: str
    email: str | None
    treatments: tuple[str, ...]
    start: str
    """Clinic local time, ``YYYY-MM-DDTHH:MM`` (``YYYY-MM-DD`` when the source gave no time)."""
    practitioner: str | None
    language: str | None
    status: str
    """``booked``, ``rescheduled`` (its start moved) or ``cancelled``."""
    previous_start: str | None = None
    first_seen: str = ""
    last_changed: str = ""

    @property
    def day(self) -> date:
        return date.fromisoformat(self.start[:10])

    def details(self) -> tuple:
        """What a source says about the booking, to tell whether anything changed."""
        return (
            self.patient,
            self.email,
            self.treatments,
            self.start,
            self.practitioner,
            self.language,
        )


def booking_id(
    kind: str,
    source_id: str | None,
    patient: str,
    email: str | None,
    start: str,
    treatments: tuple[str, ...],
) -> str:
    """The booking's id: the source's own, else a digest of who, when and what.

    Without the source's id, the same row read again (from any file of that kind) is the
    same appointment, but a booking moved to another time is a new one.
    """
    if source_id:
        return f"{kind}:{source_id}"
    who = " ".join(unicodedata.normalize("NFC", patient).casefold().split())
    values = [who, (email or "").strip().lower(), start, sorted(treatments)]
    digest = hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()
    return f"{kind}:row:{digest[:24]}"
