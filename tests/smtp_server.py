"""A real SMTP server on localhost for the email tests: aiosmtpd with a self-signed certificate."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading

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
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1: STARTTLS required, or TLS from the start with ``implicit``."""

    def __init__(self, port, certificate, implicit=False):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        self.inbox = Inbox()
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
    config = (
        (kit / "clinic.yaml")
        .read_text()
        .replace(
            "approved:",
            f"mail:\n  host: 127.0.0.1\n  port: {port}\n  starttls: true\n"
            "  from: hello@northbank-skin.example\n"
            "  reply_to: reception@northbank-skin.example\napproved:",
        )
    )
    (kit / "clinic.yaml").write_text(config)
    monkeypatch.setenv("HANDOUTS_SMTP_CAFILE", str(certificate[0]))
    csv_file = tmp_path / "appointments.csv"
    csv_file.write_text(
        "\n".join(["patient_name,email,treatment,date,time,practitioner,language", *ROWS]) + "\n"
    )
    return kit, port, csv_file
