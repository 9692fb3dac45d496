"""Sending a letter once over SMTP, and what the server said in plain words."""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING

from .config import Clinic
from .errors import HandoutsError
from .history import LeafletRecord, record_leaflets
from .letter_log import claim_message, finish_message

if TYPE_CHECKING:
    from .mail import Letter

PASSWORD_VARIABLE = "HANDOUTS_SMTP_PASSWORD"
CA_FILE_VARIABLE = "HANDOUTS_SMTP_CAFILE"
"""Optional: a PEM file of extra certificate authorities, for a clinic's own mail server."""
TIMEOUT_SECONDS = 30

REFUSED_ADDRESS = "not sent: the server refused the address; check it with the patient"
REFUSED_LETTER = "not sent: the mail server refused the letter; it is tried again next run"
SERVER_STOPPED = "not sent: the mail server stopped answering; run again later"
SERVER_UNREACHABLE = "not sent: the mail server could not be reached; run again later"
NOT_MADE = "not sent: the leaflet could not be made"
"""Causes, for counting the letters not sent by reason."""


class NotSent(HandoutsError):
    """A letter could not be made or sent; it is tried again next time."""

    def __init__(self, message: str, cause: str = REFUSED_LETTER) -> None:
        super().__init__(message)
        self.cause = cause


class ServerDown(NotSent):
    """The server could not be reached: nothing more can be sent this run."""

    def __init__(self, message: str, cause: str = SERVER_STOPPED) -> None:
        super().__init__(message, cause)


class Mailer:
    """One SMTP connection for a whole run, opened on first use."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.connection: smtplib.SMTP | None = None
        self.connected = False
        """True once the server answered in this run."""

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Send to exactly ``recipient``; reconnect once if the server dropped us.

        Raises NotSent when the server refuses the letter, ServerDown when it
        cannot be reached or stops answering.
        """
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = self._connect()
            try:
                self.connection.send_message(message, to_addrs=[recipient])
                return
            except smtplib.SMTPRecipientsRefused as error:
                words = smtp_error_words(error)
                advice = "check it with the patient; it is tried again next run"
                raise NotSent(f"{words}; {advice}", REFUSED_ADDRESS) from None
            except smtplib.SMTPResponseException as error:
                if error.smtp_code != 421:  # 421: the server is closing the connection
                    raise self._refused(recipient, error) from None
                dropped: Exception = error
            except smtplib.SMTPServerDisconnected as error:
                dropped = error
            except smtplib.SMTPException as error:
                raise self._refused(recipient, error) from None
            except OSError as error:  # a timeout, a reset connection
                dropped = error
            self._drop()
            if attempt == 2:
                raise ServerDown(
                    f"the mail server {self._where()} stopped answering "
                    f"({smtp_error_words(dropped)})"
                )

    @staticmethod
    def _refused(recipient: str, error: smtplib.SMTPException) -> NotSent:
        words = smtp_error_words(error)
        return NotSent(f"not sent to {recipient}: {words}; it is tried again next run")

    def _where(self) -> str:
        return f"{self.clinic.mail.host}:{self.clinic.mail.port}"

    def _connect(self) -> smtplib.SMTP:
        mail = self.clinic.mail
        how = mail.security  # none (plain SMTP) is allowed by config only for a loopback host
        context = ssl.create_default_context(cafile=os.environ.get(CA_FILE_VARIABLE) or None)
        connection = None
        try:
            if how == "tls":
                connection = smtplib.SMTP_SSL(
                    mail.host, mail.port, timeout=TIMEOUT_SECONDS, context=context
                )
            else:
                connection = smtplib.SMTP(mail.host, mail.port, timeout=TIMEOUT_SECONDS)
                if how == "starttls":
                    connection.starttls(context=context)
            password = os.environ.get(PASSWORD_VARIABLE)
            if password:
                connection.login(mail.username or mail.from_address or "", password)
        except (OSError, smtplib.SMTPException) as error:
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.close()
            raise ServerDown(
                f"cannot reach the mail server {self._where()} ({smtp_error_words(error)})",
                SERVER_STOPPED if self.connected else SERVER_UNREACHABLE,
            ) from None
        self.connected = True
        return connection

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.close()
        self.connection = None

    def close(self) -> None:
        """Say goodbye to the server, if we ever said hello."""
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
        self.connection = None


def send_letter(
    clinic: Clinic,
    letter: Letter,
    mailer: Mailer,
    prepare: Callable[[str], tuple[EmailMessage, LeafletRecord]],
) -> bool:
    """Send ``letter`` once and only once; False when it was sent already.

    ``prepare(message_id)`` makes the message and the leaflet's history record. The
    letter is claimed first and marked sent or failed after; a failure raises
    NotSent (or ServerDown) and leaves the letter to be tried again.
    """
    row = letter.row
    message_id = claim_message(
        clinic, letter.key, row.email, row.appointment.patient, letter.kind, new_message_id(clinic)
    )
    if message_id is None:
        return False
    try:
        message, record = prepare(message_id)
    except Exception as error:  # whatever goes wrong, the claim must be released
        reason = plain_reason(error)
        finish_message(clinic, letter.key, reason)
        raise NotSent(reason, NOT_MADE) from None
    try:
        mailer.send(message, row.email)
    except NotSent as error:  # refused, server down...: tried again on the next run
        finish_message(clinic, letter.key, error.message)
        raise
    except Exception as error:  # whatever goes wrong, the claim must be released
        reason = f"not sent to {row.email}: {plain_reason(error)}; tried again next run"
        finish_message(clinic, letter.key, reason)
        raise NotSent(reason) from None
    finish_message(clinic, letter.key)
    record_leaflets(clinic, [record])
    return True


def new_message_id(clinic: Clinic) -> str:
    """A fresh Message-ID at the clinic's own domain."""
    domain = (clinic.mail.from_address or clinic.email or "handouts.local").split("@")[-1]
    return make_msgid(domain=domain)


def plain_reason(error: Exception) -> str:
    """What went wrong, for the report: our own message, or the error's name and text."""
    if isinstance(error, HandoutsError):
        return error.message
    return f"unexpected {type(error).__name__}: {error}"


def _server_text(text: bytes | str) -> str:
    """The server's words on one line, without an enhanced status code like 5.1.1."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    lines = (re.sub(r"^[245]\.\d{1,3}\.\d{1,3}\s*", "", line.strip()) for line in text.splitlines())
    return " ".join(line for line in lines if line)


def _answer(code: int, text: bytes | str) -> str:
    words = _server_text(text)
    return f"{code} {words}" if words else str(code)


def smtp_error_words(error: BaseException) -> str:
    """An SMTP or network error as one line for clinic staff (no Python reprs)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: the server refused this address ({_answer(code, text)})"
            for address, (code, text) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        sender = error.sender.decode() if isinstance(error.sender, bytes) else error.sender
        return (
            f"the server refused the sender address {sender} "
            f"({_answer(error.smtp_code, error.smtp_error)}); check mail: from in clinic.yaml"
        )
    if isinstance(error, smtplib.SMTPDataError):
        return f"the server refused the letter ({_answer(error.smtp_code, error.smtp_error)})"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"the server refused the login ({_answer(error.smtp_code, error.smtp_error)}); "
            f"check mail: username and {PASSWORD_VARIABLE}"
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the server answered {_answer(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(error, smtplib.SMTPNotSupportedError) and "STARTTLS" in str(error):
        return "the server does not offer STARTTLS; check mail: security and port"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"its certificate is not trusted: {error.verify_message}; for the clinic's own "
            f"server, name its certificate authority in {CA_FILE_VARIABLE}"
        )
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or error}; check mail: security and port"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return f"no answer in {TIMEOUT_SECONDS} seconds"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return _server_text(str(error)) or type(error).__name__
