"""What an SMTP server or the network said, in one plain line for clinic staff."""

from __future__ import annotations

import re
import smtplib
import ssl

PASSWORD_VARIABLE = "HANDOUTS_SMTP_PASSWORD"
CA_FILE_VARIABLE = "HANDOUTS_SMTP_CAFILE"
"""Optional: a PEM file of extra certificate authorities, for a clinic's own mail server."""


def network_error(error: BaseException) -> BaseException:
    """The timeout or reset behind smtplib's "Connection unexpectedly closed", if any."""
    cause = error.__context__
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(cause, OSError):
        return cause
    return error


def server_text(text: bytes | str) -> str:
    """The server's words on one line, without an enhanced status code like 5.1.1."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    lines = (re.sub(r"^[245]\.\d{1,3}\.\d{1,3}\s*", "", line.strip()) for line in text.splitlines())
    return " ".join(line for line in lines if line)


def _answer(code: int, text: bytes | str) -> str:
    words = server_text(text)
    return f"{code} {words}" if words else str(code)


def smtp_error_words(error: BaseException, timeout: int | None = None) -> str:
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
        seconds = f"{timeout} seconds" if timeout else "time"
        return f"no answer in {seconds}; mail: timeout in clinic.yaml sets how long to wait"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return server_text(str(error)) or type(error).__name__
