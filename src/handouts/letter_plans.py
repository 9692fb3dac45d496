"""Each stored appointment's planned letters, from the clinic's content library.

The I/O around ``letter_schedule``: the timelines come from each treatment's
``treatment.yaml`` (a kit's own file wins, as for the rest of the treatment) and "now"
from the clock. Nothing here sends; ``handouts email`` sends as before.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from .booking import Booking
from .clock import today as clock_today
from .config import Clinic
from .content import ContentLibrary
from .letter_schedule import PlannedLetter, plan_letters
from .letter_timeline import LetterStep


def clinic_zone(clinic: Clinic) -> tzinfo:
    """The clinic's ``timezone:``, else this computer's."""
    return clinic.zone or datetime.now().astimezone().tzinfo


def clinic_now(clinic: Clinic, day: date | None = None) -> datetime:
    """Now in the clinic's zone; on ``day`` (``--today``, else ``$HANDOUTS_TODAY``) at
    the current time of day."""
    moment = datetime.now(clinic_zone(clinic))
    day = day or clock_today()
    return datetime.combine(day, moment.time(), tzinfo=moment.tzinfo)


def timelines(clinic: Clinic, slugs: set[str]) -> dict[str, list[LetterStep]]:
    """The ``letters:`` of each treatment named; one the library lacks has none."""
    library = ContentLibrary(clinic.kit_dir)
    known = set(library.slugs())
    return {
        slug: list(library.treatment(slug).meta.letters) if slug in known else []
        for slug in sorted(slugs)
    }


def planned_letters(
    clinic: Clinic, bookings: list[Booking], now: datetime
) -> dict[str, list[PlannedLetter]]:
    """Every booking's letters by its id, with their states at ``now``."""
    steps = timelines(clinic, {slug for booking in bookings for slug in booking.treatments})
    zone = clinic_zone(clinic)
    return {
        booking.id: plan_letters(booking, steps, zone, now, clinic.language) for booking in bookings
    }
