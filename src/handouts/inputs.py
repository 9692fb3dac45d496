"""Values a person types (date, time, language, layout, paper, yes or no), read one way.

The command line, the appointments CSV, the web form and the API all read their values
here, so they accept the same forms and answer the same mistake with the same words:
an ``InputError`` whose message is ``<field>: <problem>; <what to write>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, time
from pathlib import Path

from .appointments import Appointment, AppointmentError
from .choices import LAYOUTS, PAPERS, paper_problem
from .config import check_language
from .errors import InputError, UnknownTreatment

DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
YES = ("1", "yes", "y", "on", "true")
NO = ("0", "no", "n", "off", "false", "")
MAX_TREATMENTS = 6
SHOWN = 40
"""Characters of a bad value repeated in a message."""


def _shown(text: str) -> str:
    return repr(text[:SHOWN] + ("…" if len(text) > SHOWN else ""))


def parse_date(text: str, field: str = "date") -> date:
    """``2026-03-14`` (also ``2026-3-4``); nothing else, so no day is ever guessed."""
    text = text.strip()
    if DATE.fullmatch(text):
        year, month, day = (int(part) for part in text.split("-"))
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise InputError(f"{field}: {_shown(text)} is not a date; use YYYY-MM-DD, e.g. 2026-03-14")


def parse_time(text: str, field: str = "time") -> time:
    """``14:30`` or ``9:30`` (24-hour clock; ``9.30`` too)."""
    found = TIME.fullmatch(text.strip())
    if found and int(found[1]) < 24 and int(found[2]) < 60:
        return time(int(found[1]), int(found[2]))
    raise InputError(
        f"{field}: {_shown(text.strip())} is not a time; use HH:MM (24-hour), e.g. 14:30"
    )


def parse_language(text: str, field: str = "language") -> str:
    """A language code Babel knows: ``en``, ``en-GB``, ``es``."""
    try:
        return check_language(text.strip())
    except ValueError as error:
        raise InputError(f"{field}: {error}") from None


def parse_layout(text: str, field: str = "layout") -> str:
    """``leaflet``, ``trifold`` or ``card`` (any case)."""
    value = text.strip().lower().replace("-", "")
    if value not in LAYOUTS:
        raise InputError(f"{field}: {_shown(text)} is not a layout; use {', '.join(LAYOUTS)}")
    return value


def parse_paper(text: str, field: str = "paper") -> str:
    """``a4``, ``letter`` or ``a5`` (any case)."""
    value = text.strip().lower().replace(" ", "")
    value = {"usletter": "letter"}.get(value, value)
    if value not in PAPERS:
        raise InputError(f"{field}: {_shown(text)} is not a paper size; use {', '.join(PAPERS)}")
    return value


def parse_flag(text: str | bool | None, field: str) -> bool:
    """Yes or no: ``yes/no``, ``on/off``, ``true/false``, ``1/0`` (any case); empty is no."""
    if text is None or isinstance(text, bool):
        return bool(text)
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise InputError(f"{field}: {_shown(text)} is not yes or no; use yes or no (or 1 or 0)")


def check_paper(layout: str, paper: str, field: str = "paper") -> None:
    """InputError when ``layout`` cannot be printed on ``paper`` (a tri-fold on A5)."""
    problem = paper_problem(layout, paper)
    if problem:
        raise InputError(f"{field}: {problem}")


def parse_treatments(
    values: Iterable[str], known: Iterable[str], field: str = "treatment"
) -> tuple[str, ...]:
    """Treatment names, each value holding one or several (``,`` or ``;`` between)."""
    names = [
        name.strip().lower()
        for value in values
        for name in re.split(r"[,;]", value)
        if name.strip()
    ]
    if not names:
        raise InputError(f"{field}: choose at least one treatment")
    names = list(dict.fromkeys(names))
    if len(names) > MAX_TREATMENTS:
        raise InputError(f"{field}: at most {MAX_TREATMENTS} treatments in one leaflet")
    available = sorted(known)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise UnknownTreatment(
            f"{field}: unknown treatment {_shown(unknown[0])}; available: {', '.join(available)}"
        )
    return tuple(names)


def parse_appointment(
    patient: str | None = None,
    day: str | date | None = None,
    hour: str | time | None = None,
    practitioner: str | None = None,
    extra_font: Path | None = None,
    names: dict[str, str] | None = None,
) -> Appointment:
    """A checked appointment from typed values; ``names`` renames fields in messages."""
    names = {"patient": "patient", "date": "date", "time": "time", **(names or {})}
    if isinstance(day, str):
        day = parse_date(day, names["date"]) if day.strip() else None
    if isinstance(hour, str):
        hour = parse_time(hour, names["time"]) if hour.strip() else None
    appointment = Appointment(patient=patient, date=day, time=hour, practitioner=practitioner)
    try:
        return appointment.checked(extra_font)
    except AppointmentError as error:
        field, problem = str(error).split(": ", 1)
        raise InputError(f"{names.get(field, field)}: {problem}") from None
