"""The pages reception uses: make a leaflet, look at it, print, download or email it."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from babel import Locale
from babel.dates import format_date, format_datetime
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from ..appointment_csv import AppointmentRow
from ..catalogue import treatment_catalogue
from ..choices import LAYOUT_INFO, PAPER_CHOICES, PAPER_NAMES, PAPERS
from ..config import EMAIL, Clinic, primary_language
from ..errors import DoesNotFit, HandoutsError, InputError
from ..history import leaflet_history, record_leaflets
from ..labels import label_languages
from ..mail import can_send, email_leaflet
from ..request import LeafletRequest
from ..templating import template_folders
from .leaflets import read_request
from .previews import Preview
from .state import clinic, state

blueprint = Blueprint("pages", __name__)

HISTORY_ROWS = 100
MAX_EMAIL_LENGTH = 254
CHANNEL_NAMES = {"build": "Built", "batch": "Batch", "email": "Email", "web": "Web app"}


def language_choices(clinic: Clinic) -> list[tuple[str, str]]:
    """(code, name in that language): the clinic's own language first."""
    codes = [clinic.language] + [
        code
        for code in label_languages(template_folders(clinic))
        if code != primary_language(clinic.language)
    ]
    choices = []
    for code in codes:
        locale = Locale.parse(code.replace("-", "_"))
        name = locale.get_display_name(locale) or code
        choices.append((code, name[:1].upper() + name[1:]))
    return choices


def _form_page(
    values: dict[str, list[str]], error: str | None = None, field: str | None = None
) -> str:
    current = clinic()
    return render_template(
        "index.html",
        treatments=treatment_catalogue(current.kit_dir),
        languages=language_choices(current),
        papers=[(paper, PAPER_CHOICES[paper]) for paper in PAPERS],
        layouts=[(name, f"{info.name} ({info.detail})") for name, info in LAYOUT_INFO.items()],
        chosen=set(values.get("treatment", [])),
        value=lambda name, default="": (values.get(name) or [default])[0],
        error=error,
        error_field=field,
        defaults={"lang": current.language, "paper": current.paper, "layout": "leaflet"},
    )


def _form_values(preview: Preview) -> dict[str, list[str]]:
    """The form as it was filled in for ``preview``."""
    req, appointment = preview.request, preview.request.appointment
    values = {
        "treatment": list(req.treatments),
        "lang": [req.language],
        "paper": [req.paper],
        "layout": [req.layout],
        "large_print": ["1"] if req.large_print else [],
        "patient": [appointment.patient or ""],
        "date": [appointment.date.isoformat() if appointment.date else ""],
        "time": [appointment.time.strftime("%H:%M") if appointment.time else ""],
        "practitioner": [appointment.practitioner or ""],
        "email": [preview.email or ""],
    }
    return values


@blueprint.route("/")
def index() -> str:
    again = state().previews.get(request.args.get("again", ""))
    return _form_page(_form_values(again) if again else {})


@blueprint.route("/preview", methods=["POST"])
def make_preview():
    values = request.form.to_dict(flat=False)
    email = (values.get("email") or [""])[0].strip() or None
    try:
        leaflet_request = read_request(values, clinic())
        if email and (len(email) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(email)):
            raise InputError(f"email: {email[:60]!r} is not an email address")
        leaflet = state().maker.make(leaflet_request)
    except DoesNotFit as error:
        layout = LAYOUT_INFO[leaflet_request.layout].name.lower()
        paper = PAPER_NAMES[leaflet_request.paper]
        message = (
            f"The text is too long for {'an' if layout[0] in 'aeiou' else 'a'} {layout} on {paper} "
            "paper. "
            "Choose bigger paper or the leaflet layout."
        )
        return _form_page(values, message, "layout"), error.http_status
    except HandoutsError as error:
        if error.http_status == 500:
            message = f"This leaflet could not be made: {error.message}"
            return _form_page(values, message), 500
        field = error.message.split(":", 1)[0]
        return _form_page(values, _sentence(error.message), field), 400
    preview_id = state().previews.add(leaflet_request, leaflet, email)
    return redirect(url_for("pages.preview", preview_id=preview_id), code=303)


def _sentence(problem: str) -> str:
    """``patient: longer than 200 characters`` -> ``Patient: longer than 200 characters.``"""
    text = problem[:1].upper() + problem[1:]
    return text if text.endswith(".") else text + "."


def _preview(preview_id: str) -> Preview:
    found = state().previews.get(preview_id)
    if found is None:
        abort(404, "This preview has expired. Make the leaflet again; it only takes a moment.")
    return found


def _description(request_: LeafletRequest, pages: int) -> list[str]:
    """Short facts under the preview's title: for whom, when, language, paper, pages."""
    appointment = request_.appointment
    facts = []
    if appointment.patient:
        facts.append(f"For {appointment.patient}")
    when = ", ".join(
        part
        for part in (
            format_date(appointment.date, "EEE d MMM y", locale="en") if appointment.date else "",
            appointment.time.strftime("%H:%M") if appointment.time else "",
        )
        if part
    )
    if when:
        facts.append(when)
    if appointment.practitioner:
        facts.append(f"with {appointment.practitioner}")
    names = dict(language_choices(clinic()))
    facts.append(names.get(request_.language, request_.language))
    facts.append(PAPER_NAMES[request_.paper])
    if request_.layout != "leaflet":
        facts.append(LAYOUT_INFO[request_.layout].name)
    if request_.large_print:
        facts.append("Large print")
    facts.append(f"{pages} page{'s' if pages != 1 else ''}")
    return facts


@blueprint.route("/leaflets/<preview_id>")
def preview(preview_id: str) -> str:
    found = _preview(preview_id)
    return render_template(
        "preview.html",
        preview_id=preview_id,
        preview=found,
        leaflet=found.leaflet,
        facts=_description(found.request, found.leaflet.pages),
        can_email=can_send(clinic()),
    )


@blueprint.route("/leaflets/<preview_id>/page-<int:number>.png")
def page_image(preview_id: str, number: int) -> Response:
    images = _preview(preview_id).leaflet.previews
    if not 1 <= number <= len(images):
        abort(404, "That page does not exist.")
    return Response(images[number - 1], mimetype="image/png")


@blueprint.route("/leaflets/<preview_id>/leaflet.pdf")
def download(preview_id: str) -> Response:
    """The PDF: as a download, or with ``?print=1`` shown in the page to print."""
    found = _preview(preview_id)
    printing = request.args.get("print") == "1"
    if request.method == "GET":  # a HEAD request hands nothing over
        record_leaflets(clinic(), [found.leaflet.record])
    return pdf_response(found.leaflet.pdf, found.leaflet.file_name, inline=printing)


def pdf_response(pdf: bytes, file_name: str, inline: bool = False) -> Response:
    """A PDF response that names the file (non-Latin names included)."""
    return send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=not inline,
        download_name=file_name,
        max_age=0,
    )


@blueprint.route("/leaflets/<preview_id>/email", methods=["POST"])
def send_email(preview_id: str):
    found = _preview(preview_id)
    back = redirect(url_for("pages.preview", preview_id=preview_id), code=303)
    address = request.form.get("email", "").strip()
    if len(address) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(address):
        flash("Type the patient's email address, e.g. name@example.com.", "error")
        return back
    current = clinic()
    appointment = found.request.appointment
    row = AppointmentRow(0, found.request.treatments, appointment, address, found.request.language)
    try:
        outcome = email_leaflet(
            current, row, found.leaflet.pdf, found.leaflet.file_name, found.leaflet.record
        )
    except HandoutsError as error:
        flash(f"Not sent: {error.message}", "error")
        return back
    # The message goes in the (signed, not encrypted) session cookie: no address in it.
    if outcome == "sent":
        flash("Sent. The patient will get the leaflet by email in a few minutes.", "success")
    elif outcome == "uncertain":
        flash(
            "Uncertain: the mail server received the letter but did not say whether it "
            "accepted it, so it may or may not arrive. It will not be sent again by itself: "
            "see Email to check.",
            "error",
        )
    elif outcome == "uncertain before":
        flash(
            "Not sent again: an earlier try of this letter is uncertain (it may have "
            "arrived). See Email to check.",
            "info",
        )
    else:
        flash("Not sent again: this leaflet was already emailed to that address.", "info")
    return back


@blueprint.route("/history")
def history() -> str:
    current = clinic()
    patient = request.args.get("patient", "").strip()[:200]
    records = leaflet_history(current, patient or None)[:HISTORY_ROWS]
    catalogue = treatment_catalogue(current.kit_dir)
    titles = {entry["name"]: entry["title"] for entry in catalogue}
    locale = current.language.replace("-", "_")
    languages = dict(language_choices(current))
    rows = [
        {
            "when": format_datetime(
                datetime.fromisoformat(record.created).astimezone(),
                format="d MMM y, HH:mm",
                locale=locale,
            ),
            "treatments": ", ".join(titles.get(slug, slug) for slug in record.treatments),
            "patient": record.patient or "",
            "appointment": record.appointment or "",
            "language": languages.get(record.language, record.language),
            "paper": PAPER_NAMES.get(record.paper, record.paper),
            "layout": record.layout.capitalize(),
            "channel": CHANNEL_NAMES.get(record.channel, record.channel),
        }
        for record in records
    ]
    return render_template("history.html", rows=rows, patient=patient, limit=HISTORY_ROWS)
