"""Which letters were sent: the ``messages`` table of the history file.

Each letter has one row, keyed by what it is (patient, appointment, kind), holding its
Message-ID and its state. ``sending``: a run has claimed it and its data has not gone
out. ``delivering``: its data is going to the server now. ``sent``: the server took it.
``failed``: it was not sent, and is tried again on the next run. ``uncertain``: its data
went out but the server never said whether it took it; it is never sent again by itself:
a person checks the server's log, then marks it sent or resends it (``resending`` while
that goes on; a resend that fails leaves it uncertain). Until it is known to be sent,
the row keeps the exact letter (``content``) and its leaflet's history record.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from .config import Clinic
from .errors import HandoutsError
from .history import LeafletRecord, connect, now, record_leaflets

CLAIM_TIMEOUT_SECONDS = 30 * 60
"""A message claimed by a run that died before its data went out is retried after this long.

A run that died while the data went out (``delivering``) leaves the letter uncertain."""

COLUMNS = "message_id, recipient, patient, kind, status, claimed, last_error, key"


@dataclass(frozen=True)
class LetterState:
    """One letter as the history has it, for reports and the web page."""

    message_id: str
    recipient: str
    patient: str | None
    kind: str
    status: str
    claimed: str | None
    """When a run last claimed it (UTC, ISO 8601)."""
    reason: str | None
    """Why it was not sent, or why its outcome is not known."""
    key: str

    def is_uncertain(self, clinic: Clinic) -> bool:
        """True when its data went out and nobody knows whether the server took it."""
        if self.status == "uncertain":
            return True
        return self.status in ("delivering", "resending") and _stale(self.claimed, clinic)


def _stale(claimed: str | None, clinic: Clinic) -> bool:
    """True when a claim is older than any run still working on it could be."""
    return not claimed or _age_seconds(claimed) > CLAIM_TIMEOUT_SECONDS + 3 * clinic.mail.timeout


def claim_message(
    clinic: Clinic, key: str, recipient: str, patient: str | None, kind: str, message_id: str
) -> str | None:
    """Reserve a message for sending; None if it was sent, may have been, or another run has it.

    Returns the Message-ID to use: the first one ever given to this message, so a
    retry after a failure carries the same ID. ``BEGIN IMMEDIATE`` makes two runs at
    once see each other's claims. ``kind`` is the letter: leaflet, precare or aftercare.
    Only a ``failed`` letter, or one claimed long ago whose data never went out, is
    claimed again.
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
        if status in ("sent", "uncertain", "delivering", "resending"):
            return None
        if status == "sending" and claimed and _age_seconds(claimed) < CLAIM_TIMEOUT_SECONDS:
            return None
        connection.execute(
            "UPDATE messages SET status = 'sending', claimed = ? WHERE key = ?", (stamp, key)
        )
        return existing_id


def keep_letter(clinic: Clinic, key: str, content: bytes, record: LeafletRecord) -> None:
    """Keep a claimed letter's exact bytes and its leaflet's record, to resend it as it was."""
    with connect(clinic) as connection:
        connection.execute(
            "UPDATE messages SET content = ?, record = ? WHERE key = ?",
            (content, json.dumps(asdict(record)), key),
        )


def start_delivery(clinic: Clinic, key: str) -> None:
    """Note, before the data goes out, that the letter may reach the patient from now on."""
    with connect(clinic) as connection:
        connection.execute(
            "UPDATE messages SET status = 'delivering', claimed = ? WHERE key = ?", (now(), key)
        )


def finish_message(
    clinic: Clinic, key: str, error: str | None = None, uncertain: bool = False
) -> None:
    """Record the outcome of a claimed message: sent, failed (retried next run) or uncertain.

    A letter sent has its leaflet added to the history, and its stored copy dropped.
    """
    with connect(clinic) as connection:
        if error is None:
            record = _set_sent(connection, key, attempted=True)
        else:
            record = None
            connection.execute(
                "UPDATE messages SET status = ?, attempts = attempts + 1, last_error = ? "
                "WHERE key = ?",
                ("uncertain" if uncertain else "failed", error, key),
            )
    if record:
        record_leaflets(clinic, [record])


def _set_sent(connection, key: str, attempted: bool) -> LeafletRecord | None:
    """Mark a letter sent, dropping its stored copy; its leaflet's record, to add to history."""
    (record,) = connection.execute("SELECT record FROM messages WHERE key = ?", (key,)).fetchone()
    connection.execute(
        "UPDATE messages SET status = 'sent', sent = ?, attempts = attempts + ?, "
        "last_error = NULL, content = NULL, record = NULL WHERE key = ?",
        (now(), int(attempted), key),
    )
    return LeafletRecord(**json.loads(record)) if record else None


def letter_states(clinic: Clinic, keys: list[str]) -> dict[str, LetterState]:
    """What the history says of each letter among ``keys`` (those it has heard of)."""
    with connect(clinic) as connection:
        marks = ", ".join("?" * len(keys))
        query = f"SELECT {COLUMNS} FROM messages WHERE key IN ({marks})"
        return {row[-1]: LetterState(*row) for row in connection.execute(query, keys)}


def sent_before(clinic: Clinic, keys: list[str]) -> set[str]:
    """The letters among ``keys`` that the history says were sent."""
    return {key for key, state in letter_states(clinic, keys).items() if state.status == "sent"}


def uncertain_letters(clinic: Clinic) -> list[LetterState]:
    """Letters whose data went out with no answer from the server, oldest first."""
    with connect(clinic) as connection:
        rows = connection.execute(
            f"SELECT {COLUMNS} FROM messages "
            "WHERE status IN ('uncertain', 'delivering', 'resending') "
            "ORDER BY claimed, message_id"
        ).fetchall()
    return [state for state in (LetterState(*row) for row in rows) if state.is_uncertain(clinic)]


def _find(connection, message_id: str) -> LetterState:
    wanted = message_id.strip().strip("<>")
    row = connection.execute(
        f"SELECT {COLUMNS} FROM messages WHERE message_id = ?", (f"<{wanted}>",)
    ).fetchone()
    if row is None:
        raise HandoutsError(
            f"{message_id}: no letter has this Message-ID; "
            "'handouts email --uncertain' lists the letters to check"
        )
    return LetterState(*row)


def claim_again(clinic: Clinic, message_id: str) -> tuple[LetterState, bytes]:
    """Claim an uncertain or failed letter to resend it: its state (as it was) and its bytes.

    An uncertain letter is ``resending`` meanwhile, so no run takes it up by itself.
    """
    with connect(clinic) as connection:
        connection.execute("BEGIN IMMEDIATE")
        state = _find(connection, message_id)
        if not (state.status == "failed" or state.is_uncertain(clinic)):
            raise HandoutsError(f"{state.message_id}: {_why_not(state)}; it is not sent again")
        (content,) = connection.execute(
            "SELECT content FROM messages WHERE key = ?", (state.key,)
        ).fetchone()
        if content is None:
            raise HandoutsError(
                f"{state.message_id}: this letter was never made, so it cannot be resent; "
                "run 'handouts email' with its appointments again"
            )
        connection.execute(
            "UPDATE messages SET status = ?, claimed = ? WHERE key = ?",
            ("sending" if state.status == "failed" else "resending", now(), state.key),
        )
    return state, bytes(content)


def mark_sent(clinic: Clinic, message_id: str) -> LetterState:
    """Record that an uncertain letter did reach the server (a person checked its log)."""
    with connect(clinic) as connection:
        connection.execute("BEGIN IMMEDIATE")
        state = _find(connection, message_id)
        if not state.is_uncertain(clinic):
            raise HandoutsError(
                f"{state.message_id}: {_why_not(state)}; "
                "only an uncertain letter can be marked sent"
            )
        record = _set_sent(connection, state.key, attempted=False)
    if record:
        record_leaflets(clinic, [record])
    return state


def _why_not(state: LetterState) -> str:
    return {
        "sent": "this letter was sent",
        "failed": "this letter was not sent (it is tried again on the next run)",
        "sending": "this letter is being sent right now",
        "delivering": "this letter is being sent right now",
        "resending": "this letter is being sent again right now",
    }.get(state.status, f"this letter is {state.status}")


def _age_seconds(stamp: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()
