"""A real SMTP server on localhost for the email tests: aiosmtpd with a self-signed certificate."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROWS = [
    "Amira Haddad,amira@example.com,microneedling,2026-12-03,10:30,Dr O'Neill,",
    "Lucía Pérez,lucia@example.com,chemical-peel,2026-12-05,09:00,Dr Ruiz,es",
    "No Email,,dermaplaning,2026-12-03,11:00,,",
]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, trusted by the mailer via HANDOUTS_SMTP_CAFILE."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        """What arrived as it came: sender, recipients, MAIL options and the bytes."""
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1: STARTTLS required, or TLS from the start with ``implicit``.

    ``handler`` (default: an Inbox) keeps the messages and answers the commands.
    """

    def __init__(self, port, certificate, implicit=False, handler=None):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        self.inbox = handler or Inbox()
        tls = (
            {"ssl_context": context}
            if implicit
            else {"tls_context": context, "require_starttls": True}
        )
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port, **tls)

    def __enter__(self):
        self.controller.start()
        return self.inbox

    def __exit__(self, *exc):
        self.controller.stop()


@pytest.fixture
def mail_kit(clinic_kit, tmp_path, certificate, monkeypatch):
    port = free_port()
    kit = clinic_kit(base="demo")
    config = (kit / "clinic.yaml").read_text() + (
        f"mail:\n  host: 127.0.0.1\n  port: {port}\n  starttls: true\n"
        "  from: hello@northbank-skin.example\n"
        "  reply_to: reception@northbank-skin.example\n"
    )
    (kit / "clinic.yaml").write_text(config)
    monkeypatch.setenv("HANDOUTS_SMTP_CAFILE", str(certificate[0]))
    csv_file = tmp_path / "appointments.csv"
    csv_file.write_text(
        "\n".join(["patient_name,email,treatment,date,time,practitioner,language", *ROWS]) + "\n"
    )
    return kit, port, csv_file


class PickyInbox(Inbox):
    """An Inbox whose server refuses some senders, recipients or messages with ``answers``.

    ``answers`` maps a command (``MAIL``, ``RCPT``, ``DATA``) to the reply that refuses
    it, e.g. ``{"RCPT": "550 5.1.1 mailbox unavailable"}``; ``refused`` limits RCPT
    refusals to those addresses.
    """

    def __init__(self, answers, refused=()):
        super().__init__()
        self.answers = answers
        self.refused = set(refused)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if "MAIL" in self.answers:
            return self.answers["MAIL"]
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "RCPT" in self.answers and (not self.refused or address in self.refused):
            return self.answers["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if "DATA" in self.answers:
            return self.answers["DATA"]
        return await super().handle_DATA(server, session, envelope)


class PlainSmtpServer(SmtpServer):
    """aiosmtpd on 127.0.0.1 without any TLS: a relay on this computer (``security: none``)."""

    def __init__(self, port, handler=None):
        self.inbox = handler or Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)


class DyingServer:
    """A raw SMTP server with STARTTLS that accepts ``accept`` messages, then dies.

    After the last message it closes the connection and stops listening, as a mail
    server does when it goes down in the middle of a run. ``received`` counts messages.
    """

    def __init__(self, port, certificate, accept):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(*certificate)
        self.accept = accept
        self.received = 0
        self.listener = socket.create_server(("127.0.0.1", port))
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.listener.close()
        self.thread.join(timeout=10)

    def _serve(self):
        while self.received < self.accept:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed by __exit__
                return
            with connection:
                self._session(connection)
        self.listener.close()

    def _session(self, connection):
        """One client's commands, until QUIT or the server dies."""
        stream, secure = connection.makefile("rwb"), False

        def say(line):
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        say("220 127.0.0.1 ESMTP")
        try:
            while line := stream.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    say("250 127.0.0.1" if secure else "250-127.0.0.1\r\n250 STARTTLS")
                elif verb == b"STAR":
                    say("220 go ahead")
                    connection = self.context.wrap_socket(connection, server_side=True)
                    stream, secure = connection.makefile("rwb"), True
                elif verb == b"DATA":
                    say("354 end with a dot")
                    while stream.readline() not in (b".\r\n", b""):
                        pass
                    self.received += 1
                    say("250 OK")
                    if self.received == self.accept:
                        self.listener.close()  # gone: reconnecting is refused
                        return
                elif verb == b"QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 OK")
        finally:
            stream.close()
            connection.close()


class FaultyServer:
    """A raw plain-SMTP server on 127.0.0.1 that misbehaves around the end of a message's data.

    ``faults`` says, message by message, what happens: ``"slow:<seconds>"`` replies 250
    that long after the final "."; ``"drop"`` keeps the message and closes the connection
    without a word; ``"reject"`` answers the final "." with 554; ``"refuse"`` answers the
    DATA command itself with 451, so no data goes; ``"ok"`` (also once the list is used up)
    replies 250 at once. Every message whose data arrived is in ``received`` as
    (MAIL FROM address, bytes), kept or not: what a patient may have got. ``mail_commands``
    are the MAIL lines as sent; ``extensions`` are offered in EHLO.
    """

    def __init__(self, port, faults=(), extensions=("8BITMIME",)):
        self.faults = list(faults)
        self.extensions = list(extensions)
        self.received: list[tuple[str, bytes]] = []
        self.mail_commands: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", port))
        self.threads: list[threading.Thread] = []
        self.accepting = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self.accepting.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()  # a slow answer still pending is not waited for
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept(), which holds the port
        self.listener.close()
        self.accepting.join(timeout=10)
        for thread in self.threads:
            thread.join(timeout=30)

    def messages(self) -> list[email.message.EmailMessage]:
        """What arrived, parsed."""
        return [
            email.message_from_bytes(data, policy=email.policy.default) for _, data in self.received
        ]

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed by __exit__
                return
            thread = threading.Thread(target=self._session, args=(connection,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _session(self, connection):
        stream = connection.makefile("rwb")
        sender = ""

        def say(line):
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        try:
            say("220 127.0.0.1 ESMTP faulty")
            while line := stream.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    say("\r\n".join(f"250-{name}" for name in ["127.0.0.1", *self.extensions]))
                    say("250 HELP")
                elif verb == b"MAIL":
                    command = line.decode("utf-8").strip()
                    self.mail_commands.append(command)
                    sender = command.split(":", 1)[1].strip().split(" ")[0]
                    say("250 OK")
                elif verb == b"DATA":
                    with self.lock:
                        refuse = self.faults[:1] == ["refuse"]
                        if refuse:
                            self.faults.pop(0)
                    if refuse:
                        say("451 4.3.0 try again later")
                        continue
                    say("354 end with a dot")
                    data = b""
                    while (chunk := stream.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    with self.lock:
                        self.received.append((sender, data))
                        fault = self.faults.pop(0) if self.faults else "ok"
                    if fault == "drop":
                        return
                    if fault == "reject":
                        say("554 5.7.1 message refused")
                        continue
                    if fault.startswith("slow:") and self.stopping.wait(float(fault[5:])):
                        return
                    say("250 2.0.0 queued")
                elif verb == b"QUIT":
                    say("221 bye")
                    return
                else:  # RSET, NOOP, RCPT...
                    say("250 OK")
        except OSError:  # the client gave up waiting and closed its end
            pass
        finally:
            stream.close()
            connection.close()


def relay_mail_kit(clinic_kit, port: int, extra: str = "") -> Path:
    """The demo kit sending by plain SMTP to a relay on this computer at ``port``.

    ``extra`` adds mail settings, e.g. ``"timeout: 5"``.
    """
    kit = clinic_kit(base="demo")
    settings = f"host: 127.0.0.1, port: {port}, security: none, "
    settings += f"{extra}, " if extra else ""
    settings += "from: hello@northbank-skin.example"  # last: tests may add after it
    config = (kit / "clinic.yaml").read_text()
    (kit / "clinic.yaml").write_text(f"{config}mail: {{{settings}}}\n")
    return kit
