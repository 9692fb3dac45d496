"""The manager workspace (``/manage``): read each section, approve it, see the audit log.

Behind its own code, ``HANDOUTS_MANAGER_CODE`` (``doors.MANAGER``), needed even on this
computer; without it the workspace is off. Approving calls ``approve_sections``, as
``handouts approve`` does, so approvals.yaml and the audit log get the same records.
"""

from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.dates import format_datetime
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..approve import DEMO_NOT_CHANGED, approve_sections
from ..audit import audit_csv, audit_log
from ..clock import today
from ..content import ContentLibrary
from ..context import render_block
from ..errors import HandoutsError
from ..paths import is_demo_kit
from ..readability import MAX_GRADE, MAX_SMOG
from ..review import library_review, review_block
from .auth import MANAGER_VARIABLE
from .doors import MANAGER, sign_in_page
from .state import clinic

blueprint = Blueprint("manage", __name__, url_prefix="/manage")

MAX_NAME_LENGTH = 120
NAME_KEY = "manager_name"
"""The session key keeping the manager's name for the next approval."""
NAME_NEEDED = f"Type your name (up to {MAX_NAME_LENGTH} characters): it goes in the audit log."


def typed_name() -> str | None:
    """The manager's name typed on the form (kept for the next form), or None if unusable."""
    name = " ".join(request.form.get("by", "").split())
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        return None
    session[NAME_KEY] = name
    return name


@blueprint.before_request
def require_manager():
    """The "off" page without a manager code; the sign-in page until signed in."""
    if not MANAGER.code():
        return render_template("manage/off.html", variable=MANAGER_VARIABLE), 404
    if request.endpoint != MANAGER.login_endpoint and not MANAGER.is_open():
        return redirect(url_for(MANAGER.login_endpoint, next=request.full_path.rstrip("?")))
    return None


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    return sign_in_page(MANAGER)


@blueprint.route("/logout", methods=["POST"])
def logout():
    MANAGER.sign_out()
    session.pop(NAME_KEY, None)
    return redirect(url_for("manage.login"), code=303)


@blueprint.route("")
@blueprint.route("/")
def home():
    return redirect(url_for("manage.content"))


@blueprint.route("/content")
def content() -> str:
    treatments = library_review(clinic().kit_dir, today())
    items = [item for _, items in treatments for item in items]
    waiting = sum(1 for item in items if not item.state.approved)
    return render_template(
        "manage/content.html", treatments=treatments, count=len(items), waiting=waiting
    )


def _section(slug: str, name: str, library: ContentLibrary | None = None):
    """The treatment and the English block named, or a 404."""
    library = library or ContentLibrary(clinic().kit_dir)
    try:
        treatment = library.treatment(slug)
    except HandoutsError:
        abort(404, f"There is no treatment {slug!r}. Pick one from the content list.")
    if name not in treatment.meta.blocks:
        abort(404, f"{treatment.meta.title} has no section {name!r}.")
    return treatment, library.block(treatment, name)


@blueprint.route("/content/<slug>/<name>")
def section(slug: str, name: str) -> str:
    current = clinic()
    library = ContentLibrary(current.kit_dir)
    treatment, block = _section(slug, name, library)
    item = review_block(current, block, today())
    translations = []
    for language in library.languages(treatment)[1:]:
        translated = library.block(treatment, name, language)
        if translated.language == language:  # else the English text stands in
            shown = Locale.parse(language.replace("-", "_")).get_display_name("en") or language
            translations.append((shown, review_block(current, translated, today(), False, False)))
    try:
        printed, problem = render_block(block, current).html, None
    except HandoutsError as error:
        printed, problem = None, error.message
    names = treatment.meta.blocks
    index = names.index(name)
    following = names[index + 1] if index + 1 < len(names) else None
    return render_template(
        "manage/section.html",
        treatment=treatment,
        item=item,
        translations=translations,
        printed=printed,
        problem=problem,
        following=following,
        position=(index + 1, len(names)),
        name_value=session.get(NAME_KEY, ""),
        demo=is_demo_kit(current.kit_dir),
        demo_reason=DEMO_NOT_CHANGED,
        targets=(MAX_GRADE, MAX_SMOG),
    )


@blueprint.route("/content/<slug>/<name>/approve", methods=["POST"])
def approve(slug: str, name: str):
    _section(slug, name)
    back = redirect(url_for("manage.section", slug=slug, name=name), code=303)
    by = typed_name()
    if by is None:
        flash(NAME_NEEDED, "error")
        return back
    try:
        [done] = approve_sections([f"{slug}/{name}"], by, clinic().kit_dir)
    except HandoutsError as error:
        flash(f"Not approved: {error.message}", "error")
        return back
    languages = ", ".join(done.languages)
    flash(f"Approved {done.key} version {done.version} ({languages}) by {by}.", "success")
    return back


@blueprint.route("/audit")
def audit() -> str:
    locale = clinic().language.replace("-", "_")
    rows = [
        (format_datetime(_local(entry.at), "d MMM y, HH:mm", locale=locale), entry)
        for entry in reversed(audit_log(clinic()))
    ]
    return render_template("manage/audit.html", rows=rows)


def _local(at: str) -> datetime:
    return datetime.fromisoformat(at).astimezone()


@blueprint.route("/audit.csv")
def audit_download() -> Response:
    """The same CSV as ``handouts history --audit --csv``."""
    response = Response(audit_csv(audit_log(clinic())), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-log.csv"
    return response


# The clinic page's and the section editor's routes join this blueprint.
from . import manage_branding, manage_editing  # noqa: E402, F401
