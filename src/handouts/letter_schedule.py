"""When each letter of an appointment is due, from its treatments' timelines (no I/O).

Day and week offsets move on the clinic's calendar (``+1d`` at 10:00 is 10:00 the next
day, across a clock change too); hour offsets are elapsed time. A start without a time
counts as ``DAY_START``. Several treatments in one appointment send one letter per name:
the earliest moment any of them gives it, with that step's window and template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from .booking import CANCELLED, Booking
from .letter_timeline import LetterStep, parse_duration, parse_offset

DAY_START = time(9, 0)
"""The time of an appointment whose source gave only its day."""
UTC = ZoneInfo("UTC")
WAITING, DUE, MISSED, CANCELLED_LETTER = "waiting", "due", "missed", "cancelled"
STATES = (WAITING, DUE, MISSED, CANCELLED_LETTER)


@dataclass(frozen=True)
class PlannedLetter:
    """One letter of one appointment: when it is due, until when, and its state now."""

    appointment_id: str
    name: str
    template: str
    language: str
    due: datetime
    """Timezone-aware, in the clinic's zone."""
    window_end: datetime
    """After this moment the letter is skipped (``missed``), never sent late."""
    state: str

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "template": self.template,
            "language": self.language,
            "due": self.due.isoformat(),
            "window_end": self.window_end.isoformat(),
            "state": self.state,
        }


def appointment_start(booking: Booking, zone: tzinfo) -> datetime:
    """The booking's start, aware, in ``zone`` (``DAY_START`` when it has no time)."""
    if len(booking.start) == 10:
        local = datetime.combine(date.fromisoformat(booking.start), DAY_START)
    else:
        local = datetime.fromisoformat(booking.start)
    return local.replace(tzinfo=zone)


def due_moment(start: datetime, step: LetterStep) -> datetime:
    """The moment ``step`` is due for an appointment starting at ``start`` (aware)."""
    amount, unit = parse_offset(step.at)
    zone = start.tzinfo
    if unit == "h":
        moment = start.astimezone(UTC) + timedelta(hours=amount)
        return moment.astimezone(zone)
    days = amount * (7 if unit == "w" else 1)
    day = start.date() + timedelta(days=days)
    clock = step.time_of_day or start.timetz().replace(tzinfo=None)
    # Wall time on that day; a time a clock change skips is normalised by a round trip.
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC).astimezone(zone)


def plan_letters(
    booking: Booking,
    timelines: dict[str, list[LetterStep]],
    zone: tzinfo,
    now: datetime,
    default_language: str = "en",
) -> list[PlannedLetter]:
    """Every letter of ``booking``, by due moment, with its state at ``now`` (aware).

    ``timelines`` maps a treatment's slug to its steps; a treatment not in it has none.
    """
    start = appointment_start(booking, zone)
    chosen: dict[str, tuple[datetime, LetterStep]] = {}
    for slug in booking.treatments:
        for step in timelines.get(slug, []):
            moment = due_moment(start, step)
            if step.name not in chosen or moment < chosen[step.name][0]:
                chosen[step.name] = (moment, step)
    planned = [
        PlannedLetter(
            appointment_id=booking.id,
            name=step.name,
            template=step.kind,
            language=booking.language or default_language,
            due=moment,
            window_end=moment + parse_duration(step.window),
            state=_state(booking, moment, moment + parse_duration(step.window), now),
        )
        for moment, step in chosen.values()
    ]
    return sorted(planned, key=lambda letter: (letter.due, letter.name))


def _state(booking: Booking, due: datetime, window_end: datetime, now: datetime) -> str:
    if booking.status == CANCELLED:
        return CANCELLED_LETTER
    if now < due:
        return WAITING
    return DUE if now < window_end else MISSED


def next_letter(planned: list[PlannedLetter]) -> PlannedLetter | None:
    """The first letter still to go (due now, or waiting), if any."""
    return next((letter for letter in planned if letter.state in (DUE, WAITING)), None)
