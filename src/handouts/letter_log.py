"""Which letters were sent: the ``messages`` table of the history file.

Each letter has one row, keyed by what it is (patient, appointment, kind), holding its
Message-ID and whether it is being sent, was sent or failed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .config import Clinic
from .history import connect, now

CLAIM_TIMEOUT_SECONDS = 30 * 60
"""A message claimed by a run that died is retried after this long."""


def claim_message(
    clinic: Clinic, key: str, recipient: str, patient: str | None, kind: str, message_id: str
) -> str | None:
    """Reserve a message for sending; None if it was sent already or another run has it.

    Returns the Message-ID to use: the first one ever given to this message, so a
    retry after a failure carries the same ID. ``BEGIN IMMEDIATE`` makes two runs at
    once see each other's claims. ``kind`` is the letter: leaflet, precare or aftercare.
    """
    stamp = now()
    with connect(clinic) as connection:
        connection.execute("BEGIN IMMEDIATE")
        row = connection.execute(
            "SELECT status, message_id, claimed FROM messages WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            connection.execute(
                "INSERT INTO messages (key, recipient, patient, kind, message_id, status, "
                "claimed) VALUES (?, ?, ?, ?, ?, 'sending', ?)",
                (key, recipient, patient, kind, message_id, stamp),
            )
            return message_id
        status, existing_id, claimed = row
        if status == "sent":
            return None
        if status == "sending" and claimed and _age_seconds(claimed) < CLAIM_TIMEOUT_SECONDS:
            return None
        connection.execute(
            "UPDATE messages SET status = 'sending', claimed = ? WHERE key = ?", (stamp, key)
        )
        return existing_id


def finish_message(clinic: Clinic, key: str, error: str | None = None) -> None:
    """Record the outcome of a claimed message: sent, or failed (retried next run)."""
    with connect(clinic) as connection:
        if error is None:
            connection.execute(
                "UPDATE messages SET status = 'sent', sent = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE key = ?",
                (now(), key),
            )
        else:
            connection.execute(
                "UPDATE messages SET status = 'failed', attempts = attempts + 1, last_error = ? "
                "WHERE key = ?",
                (error, key),
            )


def _age_seconds(stamp: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()


def sent_before(clinic: Clinic, keys: list[str]) -> set[str]:
    """The letters among ``keys`` that the history says were sent."""
    with connect(clinic) as connection:
        marks = ", ".join("?" * len(keys))
        query = f"SELECT key FROM messages WHERE status = 'sent' AND key IN ({marks})"
        return {key for (key,) in connection.execute(query, keys)}
