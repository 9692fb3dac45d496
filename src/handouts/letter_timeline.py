"""A treatment's ``letters:`` timeline: which letters go, and when, around its appointment.

Each step is ``{name, at, time, window, template}``: ``at`` is an offset from the
appointment's start (``-3d``, ``+2h``, ``+4w``; ``0d`` is the start itself), ``time`` an
optional time of day (``09:00``) for a day or week offset, ``window`` how long after its
moment the letter may still go (default ``1d``; after that it is skipped, never sent
late) and ``template`` the letter kind its email templates write (default: ``name``).
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

LETTER_TEMPLATES = ("precare", "aftercare", "check-in", "skin-check", "next-session")
"""The letter kinds the email templates (``templates/email/body*.txt``) know how to write."""
OFFSET = re.compile(r"([+-]?)(\d{1,3})([hdw])")
DURATION = re.compile(r"(\d{1,3})([hdw])")
TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")


def _offset(value: str) -> str:
    if not isinstance(value, str) or not OFFSET.fullmatch(value.strip()):
        raise ValueError(
            f"{value!r} is not an offset; write one like -3d, 0d, +2h or +4w "
            "(hours, days or weeks from the appointment's start)"
        )
    return value.strip()


def _duration(value: str) -> str:
    if not isinstance(value, str) or not DURATION.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not a length of time; write one like 12h, 2d or 1w")
    if parse_duration(value.strip()) == timedelta(0):
        raise ValueError("a window of 0 would skip the letter; give at least 1h")
    return value.strip()


def _time_of_day(value: object) -> str:
    if not isinstance(value, str) or not TIME_OF_DAY.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not a time of day; write it as HH:MM, like 09:00")
    return value.strip()


def _name(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a letter name (lowercase, like 'check-in')")
    return value


def parse_offset(value: str) -> tuple[int, str]:
    """``"-3d"`` -> ``(-3, "d")``."""
    sign, number, unit = OFFSET.fullmatch(value).groups()
    return (-int(number) if sign == "-" else int(number)), unit


def parse_duration(value: str) -> timedelta:
    """``"2d"`` -> two days."""
    number, unit = DURATION.fullmatch(value).groups()
    return int(number) * UNITS[unit]


class LetterStep(BaseModel):
    """One letter of a timeline."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, AfterValidator(_name)]
    """What the letter is called in lists and records: ``pre-care``, ``check-in``..."""
    at: Annotated[str, AfterValidator(_offset)]
    """From the appointment's start: ``-3d`` three days before, ``+2h`` two hours after."""
    time: Annotated[str, AfterValidator(_time_of_day)] | None = None
    """A time of day (``09:00``) for a day or week offset; without it, the start's own."""
    window: Annotated[str, AfterValidator(_duration)] = "1d"
    """How long after its moment it may still go; later it is skipped and recorded."""
    template: str | None = None
    """The letter kind the email templates write; default: ``name``."""

    @model_validator(mode="after")
    def _checked(self) -> LetterStep:
        if self.time is not None and parse_offset(self.at)[1] == "h":
            raise ValueError(f"time: an hour offset ({self.at}) takes no time of day")
        if self.kind not in LETTER_TEMPLATES:
            raise ValueError(
                f"template: no letter template {self.kind!r}; "
                f"choose one of {', '.join(LETTER_TEMPLATES)}"
            )
        return self

    @property
    def kind(self) -> str:
        return self.template or self.name

    @property
    def time_of_day(self) -> time | None:
        return time.fromisoformat(self.time) if self.time else None


def _unique_names(steps: list[LetterStep]) -> list[LetterStep]:
    names = [step.name for step in steps]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"letter {', '.join(map(repr, repeated))} listed more than once")
    return steps


Timeline = Annotated[list[LetterStep], AfterValidator(_unique_names), Field(max_length=12)]
"""A treatment's letters, in any order, each name once."""
