"""``handouts email``: each appointment's leaflet by email, sent once and only once.

Every message is claimed in the clinic's history before it is sent and marked sent
after the server accepts it; a failed send stays 'failed' and is tried again on the
next run. ``--outbox`` writes .eml files instead of sending.
"""

from __future__ import annotations

import contextlib
import email.policy
import hashlib
import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

from .atomic import write_atomically
from .batch import AppointmentRow, read_appointments
from .build import appointment_panel, leaflet_record, write_file
from .config import Clinic, load_clinic, primary_language
from .content import ContentLibrary
from .errors import HandoutsError
from .history import LeafletRecord, claim_message, finish_message, now, record_leaflets
from .labels import load_labels
from .stamping import PersonalCopies
from .templating import render_template, template_folders

PASSWORD_VARIABLE = "HANDOUTS_SMTP_PASSWORD"
CA_FILE_VARIABLE = "HANDOUTS_SMTP_CAFILE"
"""Optional: a PEM file of extra certificate authorities, for a clinic's own mail server."""

Kind = Literal["leaflet", "precare", "aftercare"]
AFTERCARE_DAYS = 3
"""How many days after the visit a failed or missed aftercare letter is still sent."""


@dataclass(frozen=True)
class Letter:
    """One email to one patient about one appointment."""

    row: AppointmentRow
    kind: Kind
    key: str
    """Identifies the message across runs, so it is never sent twice."""


@dataclass
class EmailReport:
    """What an email run did."""

    sent: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    already_sent: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)


def due_letters(rows: list[AppointmentRow], today: date | None, precare_days: int) -> list[Letter]:
    """The letters to send: every row, or with ``today`` those due that day.

    Pre-care is due from ``precare_days`` before the visit until the day before;
    aftercare from the day of the visit for AFTERCARE_DAYS more days. A letter that
    failed or was missed goes on a later run within its window, and never twice.
    """
    letters = []
    for row in rows:
        visit = row.appointment.date
        if today is None:
            kinds: list[Kind] = ["leaflet"]
        elif visit is None:
            kinds = []
        elif visit - timedelta(days=precare_days) <= today < visit:
            kinds = ["precare"]
        elif visit <= today <= visit + timedelta(days=AFTERCARE_DAYS):
            kinds = ["aftercare"]
        else:
            kinds = []
        for kind in kinds:
            letters.append(Letter(row, kind, _letter_key(row, kind)))
    return letters


def _letter_key(row: AppointmentRow, kind: Kind, day: date | None = None) -> str:
    """The same for the same letter, however it is asked for (CSV or web, any order)."""
    appointment = row.appointment
    parts = [
        kind,
        (row.email or "").lower(),
        appointment.patient or "",
        ";".join(sorted(row.treatments)),
        str(appointment.date or day),
        str(appointment.time),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def compose(
    clinic: Clinic, letter: Letter, pdf: bytes, file_name: str, message_id: str
) -> EmailMessage:
    """The email for ``letter``: plain text and HTML from templates, the leaflet attached."""
    row = letter.row
    language = row.language or clinic.language
    speaking = clinic.in_language(language)
    labels = load_labels(template_folders(clinic), primary_language(language))
    panel = appointment_panel(row.appointment, speaking, labels, language)
    library = ContentLibrary(clinic.kit_dir)
    titles = [
        _in_sentence(library.treatment(slug, primary_language(language)).meta.title)
        for slug in row.treatments
    ]
    context = {
        "clinic": speaking,
        "kind": letter.kind,
        "language": language,
        "patient": row.appointment.patient,
        "treatments": " and ".join(titles),
        "when": panel.when,
        "practitioner": panel.practitioner,
    }
    sender = clinic.mail.from_address or clinic.email
    message = EmailMessage()

    def render(name: str) -> str:
        return render_template(clinic, _email_template(clinic, name, language), context)

    message["Subject"] = " ".join(render("subject.txt").split())
    message["From"] = f"{clinic.name} <{sender}>"
    message["To"] = row.email
    if clinic.mail.reply_to:
        message["Reply-To"] = clinic.mail.reply_to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id
    message.set_content(render("body.txt"))
    message.add_alternative(render("body.html"), subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=file_name)
    return message


def _in_sentence(title: str) -> str:
    """A title as it reads mid-sentence: "Chemical peel" -> "chemical peel", "PRP ..." kept."""
    first = title.split(" ", 1)[0]
    return title if first.isupper() else title[:1].lower() + title[1:]


def _unused_name(path: Path, taken: set[Path]) -> Path:
    """``path``, or ``path`` with -2, -3... when this run already wrote a file of that name."""
    candidate, number = path, 1
    while candidate in taken:
        number += 1
        candidate = path.with_stem(f"{path.stem}-{number}")
    taken.add(candidate)
    return candidate


@dataclass
class _Leaflets:
    """Makes each letter's personal leaflet in ``folder``, stamping copies of one leaflet."""

    folder: Path
    copies: PersonalCopies = field(default_factory=PersonalCopies)
    taken: set[Path] = field(default_factory=set)
    """Files this run wrote: a second leaflet of the same name gets -2, -3..."""

    def make(self, clinic: Clinic, row: AppointmentRow) -> tuple[Path, bytes, LeafletRecord]:
        """Write the row's leaflet; its path, bytes and what the history keeps."""
        copy = self.copies.copy(row.treatments, clinic, row.appointment, None, row.language)
        pdf = self.copies.render(copy)
        target = _unused_name(self.folder / row.file_name(), self.taken)
        write_file(target, pdf.data)
        record = leaflet_record(copy.record_handout(), pdf.data, row.appointment, "email", target)
        return target, pdf.data, record


def _email_template(clinic: Clinic, name: str, language: str) -> str:
    """``email/<name>`` in the letter's language (``body.es.txt``), else the default one."""
    stem, suffix = name.rsplit(".", 1)
    translated = f"email/{stem}.{primary_language(language)}.{suffix}"
    if any((folder / translated).is_file() for folder in template_folders(clinic)):
        return translated
    return f"email/{name}"


class _Mailer:
    """One SMTP connection for a whole run, opened on first use."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.connection: smtplib.SMTP | None = None

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Send to exactly ``recipient``; reconnect once if the server dropped us."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = self._connect()
            try:
                self.connection.send_message(message, to_addrs=[recipient])
                return
            except smtplib.SMTPServerDisconnected:
                self.connection = None
                if attempt == 2:
                    raise

    def _connect(self) -> smtplib.SMTP:
        mail = self.clinic.mail
        context = ssl.create_default_context(cafile=os.environ.get(CA_FILE_VARIABLE) or None)
        try:
            if mail.starttls:
                connection = smtplib.SMTP(mail.host, mail.port, timeout=30)
                connection.starttls(context=context)
            else:
                connection = smtplib.SMTP_SSL(mail.host, mail.port, timeout=30, context=context)
            password = os.environ.get(PASSWORD_VARIABLE)
            if password:
                connection.login(mail.username or mail.from_address or "", password)
        except (OSError, smtplib.SMTPException) as error:
            raise _ServerDown(
                f"cannot reach the mail server {mail.host}:{mail.port} ({error})"
            ) from None
        return connection

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()


class NotSent(HandoutsError):
    """A letter could not be made or sent; it is tried again next time."""


class _ServerDown(NotSent):
    """The server could not be reached: nothing more can be sent this run."""


def can_send(clinic: Clinic) -> bool:
    """True when clinic.yaml names a mail server and a From address."""
    return bool(clinic.mail.host and (clinic.mail.from_address or clinic.email))


def run_email(
    csv_path: Path,
    clinic_dir: Path | None = None,
    send: bool = False,
    outbox: Path | None = None,
    today: date | None = None,
    leaflet_dir: Path | None = None,
) -> EmailReport:
    """Email (or, with ``outbox``, write .eml files for) each appointment's leaflet."""
    clinic = load_clinic(clinic_dir)
    if send and not can_send(clinic):
        raise HandoutsError("clinic.yaml: mail: set host and from (or email) before --send")
    if not send and outbox is None:
        raise HandoutsError("choose --send or --outbox DIR")
    rows, problems = read_appointments(csv_path, ContentLibrary(clinic.kit_dir), clinic.font_path)
    report = EmailReport(problems=[(problem.row, problem.reason) for problem in problems])
    leaflet_dir = leaflet_dir or (outbox or Path.cwd()) / "leaflets"
    mailer = _Mailer(clinic) if send else None
    leaflets = _Leaflets(leaflet_dir)
    try:
        for letter in due_letters(rows, today, clinic.mail.precare_days):
            _deliver(clinic, letter, report, mailer, outbox, leaflets)
    except _ServerDown as error:
        report.problems.append((0, f"{error}; nothing more was sent, run again later"))
    finally:
        if mailer is not None:
            mailer.close()
    report.problems.sort()
    return report


def send_letter(
    clinic: Clinic,
    letter: Letter,
    mailer: _Mailer,
    prepare: Callable[[str], tuple[EmailMessage, LeafletRecord]],
) -> bool:
    """Send ``letter`` once and only once; False when it was sent already.

    ``prepare(message_id)`` makes the message and the leaflet's history record. The
    letter is claimed first and marked sent or failed after; a failure raises
    NotSent (or ServerDown) and leaves the letter to be tried again.
    """
    row = letter.row
    message_id = claim_message(
        clinic, letter.key, row.email, row.appointment.patient, letter.kind, _message_id(clinic)
    )
    if message_id is None:
        return False
    try:
        message, record = prepare(message_id)
    except Exception as error:  # whatever goes wrong, the claim must be released
        reason = _reason(error)
        finish_message(clinic, letter.key, reason)
        raise NotSent(reason) from None
    try:
        mailer.send(message, row.email)
    except _ServerDown as error:
        finish_message(clinic, letter.key, str(error))
        raise
    except Exception as error:  # refused, dropped connection...: retried on the next run
        finish_message(clinic, letter.key, str(error))
        raise NotSent(f"not sent to {row.email}: {error}; will retry") from None
    finish_message(clinic, letter.key)
    record_leaflets(clinic, [record])
    return True


def email_leaflet(
    clinic: Clinic, row: AppointmentRow, pdf: bytes, file_name: str, record: LeafletRecord
) -> bool:
    """Email a leaflet already made (the web app's Email button); False if sent before.

    The letter's key is the one ``handouts email`` uses, so a patient never gets the
    same leaflet twice from the two together.
    """
    if not can_send(clinic):
        raise HandoutsError("clinic.yaml: mail: set host and from (or email) to send email")
    # Without an appointment date, the same leaflet may go to the same address once a day.
    letter = Letter(row, "leaflet", _letter_key(row, "leaflet", day=date.today()))
    mailer = _Mailer(clinic)
    try:
        return send_letter(
            clinic,
            letter,
            mailer,
            lambda message_id: (
                compose(clinic, letter, pdf, file_name, message_id),
                replace(record, channel="email", created=now()),
            ),
        )
    finally:
        mailer.close()


def _message_id(clinic: Clinic) -> str:
    domain = (clinic.mail.from_address or clinic.email or "handouts.local").split("@")[-1]
    return make_msgid(domain=domain)


def _reason(error: Exception) -> str:
    if isinstance(error, HandoutsError):
        return error.message
    return f"unexpected {type(error).__name__}: {error}"


def _deliver(
    clinic: Clinic,
    letter: Letter,
    report: EmailReport,
    mailer: _Mailer | None,
    outbox: Path | None,
    leaflets: _Leaflets,
) -> None:
    row = letter.row
    if not row.email:
        report.problems.append((row.row, "no email address; print the leaflet instead"))
        return

    def prepare(message_id: str) -> tuple[EmailMessage, LeafletRecord]:
        target, pdf, record = leaflets.make(clinic, row)
        return compose(clinic, letter, pdf, target.name, message_id), record

    if mailer is not None:
        try:
            if send_letter(clinic, letter, mailer, prepare):
                report.sent.append(row.email)
            else:
                report.already_sent += 1
        except _ServerDown:
            raise
        except NotSent as error:
            report.problems.append((row.row, error.message))
        return
    try:
        message, record = prepare(_message_id(clinic))
    except Exception as error:
        report.problems.append((row.row, _reason(error)))
        return
    eml = outbox / Path(record.output).with_suffix(f".{letter.kind}.eml").name
    write_atomically(eml, message.as_bytes(policy=email.policy.SMTP))
    report.written.append(eml)
    record_leaflets(clinic, [record])
