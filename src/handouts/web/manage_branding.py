"""The manager's clinic page (``/manage/clinic``): clinic.yaml's details, colours, logo and font.

Routes sit on ``manage.blueprint``, behind the manager's sign-in and CSRF token. Each save goes
through ``clinic_edit.edit_clinic`` (the schema's own checks, comments kept, audited), uploads
through ``upload_checks``; then a preview of a leaflet is made on the usual road.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, session, url_for

from ..approve import DEMO_NOT_CHANGED
from ..clinic_checks import primary_contrast_problem
from ..clinic_edit import ClinicEdit, ClinicEditRefused, document_values, edit_clinic
from ..config import BUNDLED_FONTS, FONT_STYLES, Clinic, load_clinic
from ..content import ContentLibrary
from ..errors import HandoutsError
from ..paths import is_demo_kit
from ..request import LeafletRequest
from ..theme import WCAG_AA_TEXT, contrast_ratio, readable_shade
from ..upload_checks import (
    LOGO_KINDS,
    MAX_FONT_BYTES,
    MAX_LOGO_BYTES,
    MAX_LOGO_SIDE,
    UploadRefused,
    check_font,
    check_logo,
    font_family_name,
)
from .clinic_fields import DETAILS, TRANSLATED
from .doors import MANAGER
from .manage import NAME_KEY, NAME_NEEDED, blueprint, typed_name
from .state import clinic, state

MAX_UPLOAD_REQUEST = len(FONT_STYLES) * MAX_FONT_BYTES + 1024 * 1024
"""Bytes a logo or font upload may send (the other forms keep the app's 64 KB)."""
UPLOAD_ENDPOINTS = {"manage.clinic_logo", "manage.clinic_font"}
PLACED_KEYS = {"by", "new_language", "colors.primary", "colors.accent", "logo", "font"}
PLACED_KEYS |= {f"font.{style}" for style in FONT_STYLES}
"""Keys besides the details whose problems show next to a field of their own."""
FACE_NAMES = {"regular": "Regular", "bold": "Bold", "italic": "Italic", "bold_italic": "BoldItalic"}
FACE_LABELS = {
    "regular": "Regular",
    "bold": "Bold",
    "italic": "Italic",
    "bold_italic": "Bold italic",
}


@blueprint.url_value_preprocessor
def _allow_uploads(endpoint: str | None, values: dict | None) -> None:
    """Let a signed-in manager's upload be larger than a form (before CSRF reads the body)."""
    if endpoint in UPLOAD_ENDPOINTS and MANAGER.code() and MANAGER.is_open():
        request.max_content_length = MAX_UPLOAD_REQUEST


def _is_demo(current: Clinic) -> bool:
    return is_demo_kit(current.kit_dir)


def _colours(primary: str, accent: str) -> dict[str, object]:
    ratio = contrast_ratio(primary, "#ffffff")
    return {
        "primary_ratio": ratio,
        "primary_ok": ratio >= WCAG_AA_TEXT,
        "primary_shade": readable_shade(primary),
        "accent_ratio": contrast_ratio(accent, "#ffffff"),
    }


def _translation_codes(values: dict[str, str]) -> list[str]:
    codes = {key.split(".")[1] for key in values if key.startswith("translations.")}
    return sorted(codes)


def _page(status: int = 200, typed: dict[str, str] | None = None, problems=None, part=None):
    current = clinic()
    values = document_values(current.kit_dir)
    shown = {**values, **(typed or {})}
    if "colors.primary" not in shown:
        shown["colors.primary"] = current.colors.primary
    if "colors.accent" not in shown:
        shown["colors.accent"] = current.colors.accent
    preview = state().previews.get(request.args.get("preview", ""))
    codes = sorted({*_translation_codes(values), *_translation_codes(typed or {})})
    placed = {field.key for _, fields in DETAILS for field in fields} | PLACED_KEYS
    placed |= {f"translations.{code}.{word}" for code in codes for word in TRANSLATED}
    problems = problems or {}
    unplaced = [(key, text) for key, text in problems.items() if key not in placed]
    html = render_template(
        "manage/clinic.html",
        groups=DETAILS,
        translated=TRANSLATED,
        codes=codes,
        value=lambda key: shown.get(key, ""),
        problems=problems,
        unplaced=unplaced,
        part=part,
        contrast=_colours(current.colors.primary, current.colors.accent),
        aa=WCAG_AA_TEXT,
        bundled=BUNDLED_FONTS,
        faces=FACE_LABELS,
        font=current.font_choice,
        logo=current.logo,
        limits={
            "logo_mb": MAX_LOGO_BYTES // (1024 * 1024),
            "logo_side": MAX_LOGO_SIDE,
            "font_mb": MAX_FONT_BYTES // (1024 * 1024),
        },
        preview=preview,
        preview_id=request.args.get("preview", "") if preview else None,
        name_value=session.get(NAME_KEY, ""),
        demo=_is_demo(current),
        demo_reason=DEMO_NOT_CHANGED,
    )
    return html, status


@blueprint.route("/clinic")
def clinic_page():
    return _page()


def _save(edit: ClinicEdit, part: str, typed: dict[str, str] | None = None):
    """Save ``edit``; on to the page with a fresh preview, or the page again with problems."""
    who = typed_name()
    if who is None:
        return _page(400, typed, {"by": NAME_NEEDED}, part)
    try:
        changes = edit_clinic(clinic().kit_dir, edit, who)
    except ClinicEditRefused as error:
        return _page(400, typed, error.problems, part)
    except HandoutsError as error:
        flash(f"Not saved: {error.message}", "error")
        return redirect(url_for("manage.clinic_page") + f"#{part}", code=303)
    if not changes:
        flash("Nothing changed: clinic.yaml is as it was.", "info")
        return redirect(url_for("manage.clinic_page") + f"#{part}", code=303)
    keys = [change.key for change in changes if change.key not in edit.files]
    files = [f"{name} saved in the kit" for name in edit.files]
    saved = "; ".join([*([f"{', '.join(keys)} changed in clinic.yaml"] if keys else []), *files])
    flash(f"Saved by {who}: {saved}. The preview shows a leaflet as it prints now.", "success")
    return redirect(url_for("manage.clinic_page", preview=_make_preview()), code=303)


def _make_preview() -> str | None:
    """A leaflet of the first treatment as the kit makes it now (the kit's new fingerprint
    means a fresh render, not a cached one), kept with reception's previews."""
    current = load_clinic(state().kit_dir)  # clinic() is this request's, from before the save
    slugs = ContentLibrary(current.kit_dir).slugs()
    if not slugs:
        return None
    leaflet_request = LeafletRequest((slugs[0],), current.language, current.paper, channel="web")
    try:
        leaflet = state().maker.make(leaflet_request)
    except HandoutsError as error:
        flash(f"Saved, but the leaflet cannot be made now: {error.message}", "error")
        return None
    return state().previews.add(leaflet_request, leaflet, None)


@blueprint.route("/clinic/details", methods=["POST"])
def clinic_details():
    values = document_values(clinic().kit_dir)
    keys = [field.key for _, fields in DETAILS for field in fields]
    keys += [
        f"translations.{code}.{word}" for code in _translation_codes(values) for word in TRANSLATED
    ]
    typed = {key: request.form.get(key, "") for key in keys if key in request.form}
    new_code = request.form.get("new_language", "").strip()
    if new_code:
        if not new_code.replace("-", "").replace("_", "").isalpha() or len(new_code) > 12:
            problems = {"new_language": f"{new_code[:20]!r} is not a language code (use e.g. 'es')"}
            return _page(400, typed, problems, "details")
        for word in TRANSLATED:
            typed[f"translations.{new_code}.{word}"] = request.form.get(f"new_language.{word}", "")
    return _save(ClinicEdit(values=typed), "details", typed)


@blueprint.route("/clinic/colours", methods=["POST"])
def clinic_colours():
    typed = {key: request.form.get(key, "").strip() for key in ("colors.primary", "colors.accent")}

    def contrast(edited: Clinic) -> dict[str, str]:
        problem = primary_contrast_problem(edited.colors.primary)
        return {"colors.primary": problem} if problem else {}

    return _save(ClinicEdit(values=typed, check=contrast), "colours", typed)


def _upload(name: str):
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None, ""
    return upload.read(), upload.filename


@blueprint.route("/clinic/logo", methods=["POST"])
def clinic_logo():
    if request.form.get("remove") == "1":  # the file stays in the kit; leaflets print none
        return _save(ClinicEdit(values={"logo": ""}), "logo")
    data, filename = _upload("logo")
    if data is None:
        return _page(400, None, {"logo": "Choose the logo file (PNG, JPEG or SVG)."}, "logo")
    try:
        kind = check_logo(data, filename)
    except UploadRefused as error:
        return _page(400, None, {"logo": error.problem}, "logo")
    saved_as = f"logo{LOGO_KINDS[kind]}"  # our name, never the upload's
    return _save(ClinicEdit(values={"logo": saved_as}, files={saved_as: data}), "logo")


@blueprint.route("/clinic/font", methods=["POST"])
def clinic_font():
    if request.form.get("choice") == "bundled":
        family = request.form.get("family", "")
        if family not in BUNDLED_FONTS:
            return _page(400, None, {"font": "Choose one of the bundled fonts."}, "font")
        return _save(ClinicEdit(values={"font": family}), "font")
    files, problems = {}, {}
    for style in FONT_STYLES:
        data, filename = _upload(f"font.{style}")
        if data is None:
            continue
        try:
            files[style] = (check_font(data, filename, f"font.{style}"), data)
        except UploadRefused as error:
            problems[f"font.{style}"] = error.problem
    if not problems and "regular" not in files:
        problems["font.regular"] = "Choose the regular font file: body text prints in it."
    if problems:
        return _page(400, None, problems, "font-files")
    typed_family = " ".join(request.form.get("font_family", "").split())[:60]
    family = typed_family or " ".join((_family_of(files["regular"][1]) or "").split())[:60]
    family = family or "Clinic Font"
    stem = "".join(character for character in family if character.isascii() and character.isalnum())
    stem = stem or "ClinicFont"
    written = {
        style: f"fonts/{stem}-{FACE_NAMES[style]}{suffix}" for style, (suffix, _) in files.items()
    }
    value = {"family": family, **written}
    edit = ClinicEdit(
        values={"font": value}, files={written[style]: files[style][1] for style in files}
    )
    return _save(edit, "font-files")


def _family_of(data: bytes) -> str | None:
    try:
        return font_family_name(data)
    except Exception:  # a name table we cannot read: the typed name or a default serves
        return None


@blueprint.route("/clinic/preview", methods=["POST"])
def clinic_preview():
    preview_id = _make_preview()
    return redirect(url_for("manage.clinic_page", preview=preview_id) + "#preview", code=303)


@blueprint.route("/clinic/preview/<preview_id>/page-<int:number>.png")
def clinic_preview_page(preview_id: str, number: int) -> Response:
    found = state().previews.get(preview_id)
    if found is None:
        abort(404, "This preview has expired. Press Show preview again.")
    images = found.leaflet.previews
    if not 1 <= number <= len(images):
        abort(404, "That page does not exist.")
    return Response(images[number - 1], mimetype="image/png")
