"""The clinic's appointments, kept in its history database, one row per booking.

Every source (a CSV export today; calendars, FHIR and webhooks later) hands its bookings
to ``save_appointments``, which merges them in: the same booking again changes nothing, a
new start reschedules it, a cancelled status cancels it. One ``BEGIN IMMEDIATE``
transaction per batch, so imports running at once wait for each other and lose nothing.
Starts are the clinic's local time (``YYYY-MM-DDTHH:MM``, or ``YYYY-MM-DD`` without one).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import unicodedata
from collections import Counter
from dataclasses import astuple, dataclass, fields, replace
from datetime import date, timedelta

from .clock import now_iso
from .config import Clinic
from .history_file import connect

BOOKED, RESCHEDULED, CANCELLED = "booked", "rescheduled", "cancelled"
OUTCOMES = ("new", "updated", "rescheduled", "cancelled", "unchanged")
"""What saving a booking did, in the order a summary names them."""


@dataclass(frozen=True)
class StoredAppointment:
    """One booking as the store keeps it."""

    id: str
    """Stable: ``<kind>:<the source's own id>``, or ``<kind>:row:<digest>`` (``appointment_id``)."""
    source: str
    """Where it was last read from: ``csv:<file name>``."""
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


COLUMNS = [field.name for field in fields(StoredAppointment)]


def appointment_id(
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


def save_appointments(clinic: Clinic, bookings: list[StoredAppointment]) -> list[str]:
    """Merge ``bookings`` (status ``booked`` or ``cancelled``, as the source says) into the
    store in one transaction; what became of each, one of ``OUTCOMES``."""
    stamp = now_iso()
    with connect(clinic) as connection:
        connection.execute("BEGIN IMMEDIATE")
        return [_save(connection, booking, stamp) for booking in bookings]


def _save(connection: sqlite3.Connection, booking: StoredAppointment, stamp: str) -> str:
    found = connection.execute(
        f"SELECT {', '.join(COLUMNS)} FROM appointments WHERE id = ?", (booking.id,)
    ).fetchone()
    if found is None:
        _write(connection, replace(booking, first_seen=stamp, last_changed=stamp))
        return CANCELLED if booking.status == CANCELLED else "new"
    old = _from_row(found)
    status, previous, outcome = old.status, old.previous_start, "updated"
    if booking.status == CANCELLED:
        if old.status != CANCELLED:
            status, outcome = CANCELLED, CANCELLED
    elif booking.start != old.start:
        status, previous, outcome = RESCHEDULED, old.start, RESCHEDULED
    elif old.status == CANCELLED:
        status = BOOKED  # booked again
    if outcome == "updated" and status == old.status and booking.details() == old.details():
        return "unchanged"
    merged = replace(
        booking,
        status=status,
        previous_start=previous,
        first_seen=old.first_seen,
        last_changed=stamp,
    )
    _write(connection, merged)
    return outcome


def _write(connection: sqlite3.Connection, appointment: StoredAppointment) -> None:
    """Insert the appointment, or replace the row with its id."""
    values = list(astuple(appointment))
    values[COLUMNS.index("treatments")] = json.dumps(list(appointment.treatments))
    connection.execute(
        f"INSERT OR REPLACE INTO appointments ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(COLUMNS))})",
        values,
    )


def _from_row(row: tuple) -> StoredAppointment:
    values = dict(zip(COLUMNS, row, strict=True))
    values["treatments"] = tuple(json.loads(values["treatments"]))
    return StoredAppointment(**values)


def stored_appointments(
    clinic: Clinic, first_day: date | None = None, last_day: date | None = None
) -> list[StoredAppointment]:
    """The appointments from ``first_day`` to ``last_day`` (both included), by start."""
    where, bounds = [], []
    if first_day is not None:
        where.append("start >= ?")
        bounds.append(first_day.isoformat())
    if last_day is not None:
        where.append("start < ?")
        bounds.append((last_day + timedelta(days=1)).isoformat())
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    with connect(clinic) as connection:
        rows = connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM appointments{condition} ORDER BY start, patient",
            bounds,
        ).fetchall()
    return [_from_row(row) for row in rows]


def count_outcomes(outcomes: list[str]) -> dict[str, int]:
    """``{"new": 3, "updated": 0, ...}`` in the order of ``OUTCOMES``."""
    counted = Counter(outcomes)
    return {outcome: counted[outcome] for outcome in OUTCOMES}
