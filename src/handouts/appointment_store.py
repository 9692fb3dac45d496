"""The clinic's appointments, kept in its history database, one row per booking.

Every source (a CSV export, a calendar, FHIR, the webhook) hands its bookings
to ``save_appointments``, which merges them in: the same booking again changes nothing, a
new start reschedules it, a cancelled status cancels it. One ``BEGIN IMMEDIATE``
transaction per batch, so imports running at once wait for each other and lose nothing.
Starts are the clinic's local time (``YYYY-MM-DDTHH:MM``, or ``YYYY-MM-DD`` without one).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import astuple, fields, replace
from datetime import date, timedelta

from .booking import BOOKED, CANCELLED, RESCHEDULED, Booking
from .clock import now_iso
from .config import Clinic
from .history_file import connect

OUTCOMES = ("new", "updated", "rescheduled", "cancelled", "unchanged")
"""What saving a booking did, in the order a summary names them."""
COLUMNS = [field.name for field in fields(Booking)]


def save_appointments(clinic: Clinic, bookings: list[Booking]) -> list[str]:
    """Merge ``bookings`` (status ``booked`` or ``cancelled``, as the source says) into the
    store in one transaction; what became of each, one of ``OUTCOMES``."""
    stamp = now_iso()
    with connect(clinic) as connection:
        connection.execute("BEGIN IMMEDIATE")
        return [_save(connection, booking, stamp) for booking in bookings]


def _save(connection: sqlite3.Connection, booking: Booking, stamp: str) -> str:
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


def _write(connection: sqlite3.Connection, appointment: Booking) -> None:
    """Insert the appointment, or replace the row with its id."""
    values = list(astuple(appointment))
    values[COLUMNS.index("treatments")] = json.dumps(list(appointment.treatments))
    connection.execute(
        f"INSERT OR REPLACE INTO appointments ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(COLUMNS))})",
        values,
    )


def _from_row(row: tuple) -> Booking:
    values = dict(zip(COLUMNS, row, strict=True))
    values["treatments"] = tuple(json.loads(values["treatments"]))
    return Booking(**values)


def stored_appointments(
    clinic: Clinic, first_day: date | None = None, last_day: date | None = None
) -> list[Booking]:
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
