"""Each letter at most once: claimed in the letter log, sent, its outcome recorded.

A letter whose data went out without an answer from the server is *uncertain*: it is
never sent again by itself; ``resend_letter`` sends its very bytes (same Message-ID)
when a person has checked that it did not arrive, ``mark_letter_sent`` when it did.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Literal

from .config import Clinic
from .errors import HandoutsError
from .history import LeafletRecord
from .letter_log import (
    LetterState,
    claim_again,
    claim_message,
    finish_message,
    keep_letter,
    letter_states,
    mark_sent,
    start_delivery,
)
from .letters import as_bytes
from .smtp import NOT_MADE, Mailer, NotSent, Uncertain

if TYPE_CHECKING:
    from .mail import Letter

Outcome = Literal["sent", "sent before", "uncertain before"]
"""What ``send_letter`` did: sent it now, or not, since it was sent (or may have been)."""


class UncertainLetter(Uncertain):
    """An Uncertain letter, named: its Message-ID and address, for the report."""

    def __init__(self, message: str, message_id: str, recipient: str) -> None:
        super().__init__(message)
        self.message_id = message_id
        self.recipient = recipient


def send_letter(
    clinic: Clinic,
    letter: Letter,
    mailer: Mailer,
    prepare: Callable[[str], tuple[EmailMessage, LeafletRecord]],
) -> Outcome:
    """Send ``letter`` at most once.

    ``prepare(message_id)`` makes the message and the leaflet's history record. The
    letter is claimed first and marked sent, failed or uncertain after. A failure
    before its data went out raises NotSent (or ServerDown) and leaves the letter to
    be tried again; no answer after it raises UncertainLetter.
    """
    row = letter.row
    message_id = claim_message(
        clinic, letter.key, row.email, row.appointment.patient, letter.kind, new_message_id(clinic)
    )
    if message_id is None:
        state = letter_states(clinic, [letter.key]).get(letter.key)
        if state and (state.status in ("uncertain", "resending") or state.is_uncertain(clinic)):
            return "uncertain before"
        return "sent before"
    try:
        message, record = prepare(message_id)
        content = as_bytes(message)
    except Exception as error:  # whatever goes wrong, the claim must be released
        reason = plain_reason(error)
        finish_message(clinic, letter.key, reason)
        raise NotSent(reason, NOT_MADE) from None
    keep_letter(clinic, letter.key, content, record)
    _deliver(clinic, mailer, letter.key, message_id, content, row.email)
    return "sent"


def resend_letter(clinic: Clinic, message_id: str) -> LetterState:
    """Send an uncertain (or failed) letter again, byte for byte; raise if it cannot be.

    If it cannot be sent now, an uncertain letter stays uncertain (its first try may
    have arrived) and a failed one stays failed (tried again on the next run).
    """
    _require_mail(clinic)
    state, content = claim_again(clinic, message_id)
    before = None if state.status == "failed" else state.reason or "uncertain"
    mailer = Mailer(clinic)
    try:
        _deliver(clinic, mailer, state.key, state.message_id, content, state.recipient, before)
    except NotSent as error:
        still = "it is tried again on the next run"
        if before is not None:
            still = "it is still uncertain; send it again later"
        words = without_retry_note(error.message)
        raise NotSent(
            f"{state.message_id}: not sent again: {words}; {still}", error.cause
        ) from None
    finally:
        mailer.close()
    return state


def mark_letter_sent(clinic: Clinic, message_id: str) -> LetterState:
    """Record that an uncertain letter arrived after all (the server's log says so)."""
    return mark_sent(clinic, message_id)


def _deliver(
    clinic: Clinic,
    mailer: Mailer,
    key: str,
    message_id: str,
    content: bytes,
    recipient: str,
    uncertain_before: str | None = None,
) -> None:
    """Send a claimed letter's bytes and record what happened.

    ``uncertain_before``: why the letter was uncertain, when this is a resend of it; a
    failure before the data went out then leaves it uncertain, not failed.
    """
    went_out = False

    def not_sent(reason: str) -> None:
        if uncertain_before is None:
            finish_message(clinic, key, reason)
        else:
            again = f"{uncertain_before}; sending it again failed: {without_retry_note(reason)}"
            finish_message(clinic, key, again, uncertain=True)

    def data_goes_out() -> None:
        nonlocal went_out
        start_delivery(clinic, key)
        went_out = True

    try:
        mailer.send(content, sender_address(clinic), recipient, data_goes_out)
    except Uncertain as error:
        finish_message(clinic, key, error.message, uncertain=True)
        raise UncertainLetter(error.message, message_id, recipient) from None
    except NotSent as error:  # refused, server down...: tried again on the next run
        not_sent(error.message)
        raise
    except BaseException as error:  # whatever goes wrong (Ctrl+C too), the claim is settled
        reason = plain_reason(error) if isinstance(error, Exception) else "the run was stopped"
        if went_out:
            finish_message(clinic, key, reason, uncertain=True)
            if isinstance(error, Exception):
                raise UncertainLetter(reason, message_id, recipient) from None
        elif isinstance(error, Exception):
            reason = f"not sent to {recipient}: {reason}; tried again next run"
            not_sent(reason)
            raise NotSent(reason) from None
        raise
    finish_message(clinic, key)


def _require_mail(clinic: Clinic) -> None:
    if not (clinic.mail.host and sender_address(clinic)):
        raise HandoutsError("clinic.yaml: mail: set host and from (or email) to send email")


def sender_address(clinic: Clinic) -> str:
    """The bare address letters come from: the envelope sender, whatever the From name."""
    return clinic.mail.from_address or clinic.email or ""


def new_message_id(clinic: Clinic) -> str:
    """A fresh Message-ID at the clinic's own domain."""
    domain = (sender_address(clinic) or "handouts.local").split("@")[-1]
    return make_msgid(domain=domain)


def without_retry_note(reason: str) -> str:
    """A reason without its "tried again next run", for a letter that is not."""
    for note in ("; it is tried again next run", "; tried again next run"):
        reason = reason.removesuffix(note)
    return reason


def plain_reason(error: BaseException) -> str:
    """What went wrong, for the report: our own message, or the error's name and text."""
    if isinstance(error, HandoutsError):
        return error.message
    return f"unexpected {type(error).__name__}: {error}"
