"""One email to a patient, composed: subject, plain and HTML bodies from templates, the PDF.

The letter's language picks the templates (``body.es.txt``...), the list words joining its
treatments and the way its dates are written.
"""

from __future__ import annotations

import email.policy
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING

from babel.dates import format_date
from babel.lists import format_list

from .config import Clinic, primary_language
from .content import ContentLibrary
from .labels import load_labels
from .panel import appointment_panel
from .templating import render_template, template_folders

if TYPE_CHECKING:
    from .mail import Letter


def compose(
    clinic: Clinic,
    letter: Letter,
    pdf: bytes,
    file_name: str,
    message_id: str,
    today: date | None = None,
) -> EmailMessage:
    """The email for ``letter``: plain text and HTML from templates, the leaflet attached.

    ``today`` is the day it goes (default: today), so an aftercare letter can say
    when the visit was: ``days_since_visit`` (0 today, 1 yesterday) and ``visit_date``.
    """
    row = letter.row
    language = row.language or clinic.language
    locale = language.replace("-", "_")
    visit = row.appointment.date
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
        "treatments": format_list(titles, locale=locale),
        "when": panel.when,
        "practitioner": panel.practitioner,
        "days_since_visit": ((today or date.today()) - visit).days if visit else None,
        "visit_date": format_date(visit, format="full", locale=locale) if visit else None,
    }
    sender = clinic.mail.from_address or clinic.email
    message = EmailMessage()

    def render(name: str) -> str:
        return render_template(clinic, _email_template(clinic, name, language), context)

    message["Subject"] = " ".join(render("subject.txt").split())
    message["From"] = address(sender, clinic.name)
    message["To"] = address(row.email)
    if clinic.mail.reply_to:
        message["Reply-To"] = address(clinic.mail.reply_to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id
    message.set_content(render("body.txt"))
    message.add_alternative(render("body.html"), subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=file_name)
    return message


def address(addr_spec: str, display_name: str = "") -> Address:
    """An address for a header: a display name with a comma or quote is quoted, not split.

    Built from its two halves, since Python refuses to parse a non-ASCII local part
    (``josé@example.com``), which RFC 6532 allows.
    """
    username, _, domain = addr_spec.rpartition("@")
    return Address(display_name, username, domain)


def as_bytes(message: EmailMessage) -> bytes:
    """The letter as it goes to the server or into an .eml file.

    With a non-ASCII address the headers are raw UTF-8 (RFC 6532), the only form in
    which such an address is an address; it needs a server that offers SMTPUTF8.
    """
    policy = email.policy.SMTPUTF8 if needs_smtputf8(message) else email.policy.SMTP
    return message.as_bytes(policy=policy)


def needs_smtputf8(message: EmailMessage) -> bool:
    """True when an address in From, To or Reply-To is not plain ASCII."""
    return not all(
        item.addr_spec.isascii()
        for name in ("From", "To", "Reply-To")
        for item in (message[name].addresses if message[name] else ())
    )


def _in_sentence(title: str) -> str:
    """A title as it reads mid-sentence: "Chemical peel" -> "chemical peel", "PRP ..." kept."""
    first = title.split(" ", 1)[0]
    return title if first.isupper() else title[:1].lower() + title[1:]


def _email_template(clinic: Clinic, name: str, language: str) -> str:
    """``email/<name>`` in the letter's language (``body.es.txt``), else the default one."""
    stem, suffix = name.rsplit(".", 1)
    translated = f"email/{stem}.{primary_language(language)}.{suffix}"
    if any((folder / translated).is_file() for folder in template_folders(clinic)):
        return translated
    return f"email/{name}"
