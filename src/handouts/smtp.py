"""Sending a letter's bytes over SMTP at most once (the words for errors: .smtp_words).

MAIL, RCPT and DATA go one by one (as ``smtplib.SMTP.data`` does), so the mailer knows
whether the final "." went out. Before it, any failure means the letter was not sent;
after it, only the server's reply tells: with no reply the letter is *uncertain*.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable

from .config import Clinic
from .errors import HandoutsError
from .smtp_words import (
    CA_FILE_VARIABLE,
    PASSWORD_VARIABLE,
    network_error,
    server_text,
    smtp_error_words,
)

REFUSED_ADDRESS = "not sent: the server refused the address; check it with the patient"
REFUSED_LETTER = "not sent: the mail server refused the letter; it is tried again next run"
NO_SMTPUTF8 = (
    "not sent: the mail server cannot take an address with non-ASCII letters; "
    "check the address with the patient or print the leaflet"
)
SERVER_STOPPED = "not sent: the mail server stopped answering; run again later"
SERVER_UNREACHABLE = "not sent: the mail server could not be reached; run again later"
NOT_MADE = "not sent: the leaflet could not be made"
"""Causes, for counting the letters not sent by reason."""


class NotSent(HandoutsError):
    """A letter could not be made or sent (its data never went out); tried again next time."""

    def __init__(self, message: str, cause: str = REFUSED_LETTER) -> None:
        super().__init__(message)
        self.cause = cause


class ServerDown(NotSent):
    """The server could not be reached: nothing more can be sent this run."""

    def __init__(self, message: str, cause: str = SERVER_STOPPED) -> None:
        super().__init__(message, cause)


class Uncertain(HandoutsError):
    """A letter's data went out but the server never said whether it took it.

    It may have reached the patient, so it is never sent again by itself.
    """


class _Dropped(Exception):
    """The connection failed before any of the letter's data went out: safe to try again."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Mailer:
    """One SMTP connection for a whole run, opened on first use."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.timeout = clinic.mail.timeout
        self.connection: smtplib.SMTP | None = None
        self.connected = False
        """True once the server answered in this run."""

    def send(
        self, content: bytes, sender: str, recipient: str, data_goes_out: Callable[[], None]
    ) -> None:
        """Send ``content`` from ``sender`` to exactly ``recipient``, at most once.

        ``data_goes_out()`` is called just before the letter's data is sent. Until
        then a dropped connection is opened again and the letter tried once more.
        Raises NotSent when the server refuses the letter, ServerDown when it cannot
        be reached, Uncertain when the data went out and no clear answer came back.
        """
        headers = content.split(b"\r\n\r\n", 1)[0]  # raw UTF-8 only in the RFC 6532 form
        international = not (sender.isascii() and recipient.isascii() and headers.isascii())
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = self._connect()
            try:
                self._envelope(self.connection, sender, recipient, international, content)
                break
            except _Dropped as dropped:
                self._drop()
                if attempt == 2:
                    raise ServerDown(
                        f"the mail server {self._where()} stopped answering "
                        f"({smtp_error_words(dropped.error, self.timeout)})"
                    ) from None
        try:
            data_goes_out()
        except BaseException:
            self._drop()  # the server waits for data that will not come
            raise
        self._data(self.connection, content, recipient)

    def _envelope(
        self,
        connection: smtplib.SMTP,
        sender: str,
        recipient: str,
        international: bool,
        content: bytes,
    ) -> None:
        """MAIL, RCPT and DATA up to the server's 354 "go ahead"."""
        try:
            connection.ehlo_or_helo_if_needed()
            options = []
            if international:
                if not connection.has_extn("smtputf8"):
                    raise NotSent(
                        f"not sent to {recipient}: the mail server does not offer SMTPUTF8, "
                        "which an address with non-ASCII letters needs; check the address "
                        "with the patient or print the leaflet",
                        NO_SMTPUTF8,
                    )
                options.append("SMTPUTF8")
            if not content.isascii() and connection.has_extn("8bitmime"):
                options.append("BODY=8BITMIME")
            code, text = connection.mail(sender, options)
            if code != 250:
                self._refused(code, smtplib.SMTPSenderRefused(code, text, sender), recipient)
            code, text = connection.rcpt(recipient)
            if code not in (250, 251):
                error = smtplib.SMTPRecipientsRefused({recipient: (code, text)})
                self._refused(code, error, recipient)
            connection.putcmd("data")
            code, text = connection.getreply()
            if code != 354:
                self._refused(code, smtplib.SMTPDataError(code, text), recipient)
        except smtplib.SMTPServerDisconnected as error:
            raise _Dropped(network_error(error)) from None
        except smtplib.SMTPHeloError as error:
            raise NotSent(f"not sent to {recipient}: {smtp_error_words(error)}") from None
        except OSError as error:  # a timeout, a reset connection
            raise _Dropped(error) from None

    def _refused(self, code: int, error: smtplib.SMTPException, recipient: str) -> None:
        """The server said no before the data: the letter was not sent."""
        if code == 421:  # the server is closing the connection
            raise _Dropped(error)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.rset()  # ready for the next letter
        words = smtp_error_words(error, self.timeout)
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            advice = "check it with the patient; it is tried again next run"
            raise NotSent(f"{words}; {advice}", REFUSED_ADDRESS)
        raise NotSent(f"not sent to {recipient}: {words}; it is tried again next run")

    def _data(self, connection: smtplib.SMTP, content: bytes, recipient: str) -> None:
        """The letter's data and the final ".", then the server's verdict on it."""
        data = re.sub(rb"(?m)^\.", b"..", content)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            connection.send(data + b".\r\n")
        except smtplib.SMTPServerDisconnected as error:
            # Not all of it reached the socket, so not the final ".": nothing was delivered.
            self._drop()
            raise ServerDown(
                f"not sent to {recipient}: the mail server {self._where()} stopped answering "
                f"while the letter went ({smtp_error_words(network_error(error), self.timeout)})"
            ) from None
        try:
            code, text = connection.getreply()
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            words = smtp_error_words(network_error(error), self.timeout)
            raise Uncertain(f"the server did not answer after the letter went ({words})") from None
        if 200 <= code < 300:
            return
        if 400 <= code < 600:  # any other answer to the end of the data means "not taken"
            if code == 421:
                self._drop()
            else:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    connection.rset()
            words = smtp_error_words(smtplib.SMTPDataError(code, text), self.timeout)
            raise NotSent(f"not sent to {recipient}: {words}; it is tried again next run")
        self._drop()
        raise Uncertain(
            f"the server's answer after the letter went made no sense ({server_text(text)!r})"
        )

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
                    mail.host, mail.port, timeout=self.timeout, context=context
                )
            else:
                connection = smtplib.SMTP(mail.host, mail.port, timeout=self.timeout)
                if how == "starttls":
                    connection.starttls(context=context)
            password = os.environ.get(PASSWORD_VARIABLE)
            if password:
                connection.login(mail.username or mail.from_address or "", password)
        except (OSError, smtplib.SMTPException) as error:
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.close()
            words = smtp_error_words(network_error(error), self.timeout)
            raise ServerDown(
                f"cannot reach the mail server {self._where()} ({words})",
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
