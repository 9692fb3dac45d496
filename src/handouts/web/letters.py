"""Letters whose outcome is not known: reception checks the mail server, then marks or resends.

A letter is *uncertain* when its data went to the mail server and no answer came back:
it may have arrived, so it is never sent again by itself (see ``handouts.sending``).
"""

from __future__ import annotations

import re
from datetime import datetime

from babel.dates import format_datetime
from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..errors import HandoutsError
from ..letter_log import uncertain_letters
from ..sending import UncertainLetter, mark_letter_sent, resend_letter, without_retry_note
from ..smtp import NotSent
from .state import clinic

blueprint = Blueprint("letters", __name__)

KIND_NAMES = {"leaflet": "Leaflet", "precare": "Before the visit", "aftercare": "Aftercare"}


@blueprint.route("/letters")
def uncertain() -> str:
    current = clinic()
    locale = current.language.replace("-", "_")
    letters = [
        {
            "message_id": letter.message_id,
            "message_id_parts": re.split(r"(?<=[.@])", letter.message_id),
            "patient": letter.patient,
            "recipient": letter.recipient,
            "kind": KIND_NAMES.get(letter.kind, letter.kind),
            "when": format_datetime(
                datetime.fromisoformat(letter.claimed).astimezone(),
                format="d MMM y, HH:mm",
                locale=locale,
            )
            if letter.claimed
            else "",
            "reason": letter.reason or "",
        }
        for letter in uncertain_letters(current)
    ]
    return render_template("letters.html", letters=letters)


# Flashed words go in the (signed, not encrypted) session cookie: no address in them.


@blueprint.route("/letters/mark-sent", methods=["POST"])
def mark_sent():
    try:
        mark_letter_sent(clinic(), request.form.get("message_id", ""))
    except HandoutsError as error:
        flash(f"Not changed: {error.message}", "error")
    else:
        flash("Marked as sent. It will not be sent again.", "success")
    return redirect(url_for("letters.uncertain"), code=303)


@blueprint.route("/letters/resend", methods=["POST"])
def resend():
    try:
        resend_letter(clinic(), request.form.get("message_id", ""))
    except UncertainLetter:
        flash(
            "Uncertain again: the mail server took the letter but did not say whether it "
            "accepted it. Check its log again before doing anything else.",
            "error",
        )
    except NotSent as error:
        flash(f"Not sent again: {_cause_words(error.cause)}. It stays on this list.", "error")
    except HandoutsError as error:
        flash(f"Not sent: {error.message}", "error")
    else:
        flash("Sent again. The patient will get it in a few minutes.", "success")
    return redirect(url_for("letters.uncertain"), code=303)


def _cause_words(cause: str) -> str:
    """A cause as a sentence that says "not sent" already, without "run again later"."""
    text = without_retry_note(cause.removeprefix("not sent: ")).removesuffix("; run again later")
    return text[:1].upper() + text[1:]
