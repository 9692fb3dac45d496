"""The clinic page's details form: each clinic.yaml value with its label and hint.

Keys are dotted (``mail.host``), as ``clinic_edit`` sets them and the schema names them in
its messages, so a problem shows next to its own field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormField:
    """One clinic.yaml value on the details form."""

    key: str
    label: str
    hint: str = ""
    kind: str = "text"
    """``text``, ``textarea``, ``number`` or ``select``."""
    choices: tuple[str, ...] = ()
    required: bool = False


DETAILS = (
    (
        "Clinic",
        (
            FormField(
                "name", "Clinic name", "As patients know it: header and PDF author.", required=True
            ),
            FormField(
                "phone", "Phone", "The number patients call; printed in large type.", required=True
            ),
            FormField("address", "Address", "One line; separate parts with commas."),
            FormField("email", "Email address"),
            FormField("website", "Website", "e.g. www.example.com"),
            FormField("booking_url", "Booking page", "Printed as a QR code."),
            FormField("emergency", "When the clinic is closed", 'Follows "When we are closed:".'),
        ),
    ),
    (
        "Leaflets",
        (
            FormField("paper", "Paper", kind="select", choices=("a4", "letter", "a5")),
            FormField("language", "Language", "e.g. en-GB, en-US, es: leaflets and dates."),
            FormField("minimum_age", "Youngest age treated", "16 to 25; empty: 18.", "number"),
            FormField(
                "review_overdue",
                "A section past its review date",
                "mark: print it with a tag; refuse: make no leaflet with it.",
                "select",
                ("mark", "refuse"),
            ),
            FormField("disclaimer", "Small print", "Printed once at the end.", "textarea"),
        ),
    ),
    (
        "Email to patients",
        (
            FormField("mail.host", "Mail server", "e.g. smtp.office365.com; empty: no email."),
            FormField(
                "mail.security",
                "Connection",
                "starttls is the usual choice.",
                "select",
                ("starttls", "tls", "none"),
            ),
            FormField("mail.port", "Port", "Empty: the usual one for the connection.", "number"),
            FormField("mail.username", "Login name", "Empty: the from address."),
            FormField("mail.from", "From address"),
            FormField("mail.reply_to", "Reply-to address"),
            FormField(
                "mail.precare_days", "Pre-care days", "Days before the visit (0 to 60).", "number"
            ),
            FormField("mail.timeout", "Timeout (seconds)", "5 to 3600; empty: 600.", "number"),
        ),
    ),
)
TRANSLATED = ("address", "emergency", "disclaimer")
"""Clinic words a translation may give (``translations.<code>.<word>``)."""
