"""The workspace's editing pages: change a section's text, go back to the built-in one, add
a treatment.

Routes sit on ``manage.blueprint``, behind the same manager sign-in and CSRF check. The
work is done by ``section_edit`` and ``new_treatment``; this module reads forms and says
what happened.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for

from ..approve import DEMO_NOT_CHANGED
from ..content import ContentLibrary, read_block
from ..context import text_direction
from ..errors import HandoutsError
from ..new_treatment import add_treatment, slug_for
from ..readability import MAX_GRADE, MAX_SMOG
from ..section_draft import MAX_MARKDOWN_CHARS, Section, check_draft, open_section
from ..section_edit import is_demo, revert_section, save_section, translation_notes
from ..templating import PLACEHOLDERS, placeholder_values
from .manage import NAME_KEY, NAME_NEEDED, blueprint, typed_name
from .state import clinic


def language_name(code: str) -> str:
    """``es`` -> ``Spanish``: how the pages name a language."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en") or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code


def _open(slug: str, name: str) -> Section:
    """The section named in the address (``?lang=`` for a translation), or a 404."""
    language = request.args.get("lang", "en")
    try:
        return open_section(clinic(), slug, name, language)
    except HandoutsError as error:
        abort(404, f"{error.message}. Pick a section from the content list.")


def _by() -> str | None:
    """The name typed in the form, or None after saying why."""
    by = typed_name()
    if by is None:
        flash(NAME_NEEDED, "error")
    return by


@blueprint.app_template_global()
def edit_choices(slug: str, name: str) -> dict[str, object]:
    """What the section page offers: edit (each language), and going back to built-in text."""
    current = clinic()
    if is_demo(current):
        return {"demo": True}
    try:
        sections = [open_section(current, slug, name, code) for code in _languages(slug)]
    except HandoutsError:  # the section page says what is wrong with it
        return {"demo": False, "translations": [], "revert": []}
    return {
        "demo": False,
        "translations": [(s.language, language_name(s.language)) for s in sections[1:]],
        "revert": [
            (s.language, "" if s.language == "en" else language_name(s.language))
            for s in sections
            if s.in_kit and s.builtin is not None
        ],
    }


def _languages(slug: str) -> list[str]:
    library = ContentLibrary(clinic().kit_dir)
    return library.languages(library.treatment(slug))


@blueprint.route("/content/<slug>/<name>/edit", methods=["GET", "POST"])
def edit_section(slug: str, name: str):
    section = _open(slug, name)
    current = clinic()
    if request.method == "GET":
        title, markdown, base = section.current.meta.title, section.markdown, section.base
    else:
        title = request.form.get("title", "")
        markdown = request.form.get("markdown", "")
        base = request.form.get("base", "")
    refused = None
    if request.method == "POST" and request.form.get("action") == "save":
        by = _by()
        if by is not None:
            try:
                change = save_section(current, section, title, markdown, by, base)
            except HandoutsError as error:
                refused = error.message
            else:
                _say_saved(section, change)
                return redirect(url_for("manage.section", slug=slug, name=name), code=303)
    checked = check_draft(current, section, title, markdown)
    if refused and refused != checked.problem:  # else said once, beside the text
        flash(f"Not saved: {refused}", "error")
    status = 400 if request.method == "POST" and request.form.get("action") == "save" else 200
    return render_template(
        "manage/edit.html",
        section=section,
        title_value=title,
        markdown=markdown,
        base=base,
        checked=checked,
        refused=refused,
        language=language_name(section.language),
        direction=text_direction(section.language),
        name_value=session.get(NAME_KEY, ""),
        placeholders=_placeholders(section.language),
        demo=is_demo(current),
        demo_reason=DEMO_NOT_CHANGED,
        notes=_notes(section),
        limit=MAX_MARKDOWN_CHARS,
        targets=(MAX_GRADE, MAX_SMOG),
    ), status


def _say_saved(section: Section, change) -> None:
    where = "" if section.language == "en" else f" ({language_name(section.language)})"
    flash(
        f"Saved {section.key}{where} as version {change.version} in your kit's "
        f"{change.path.name}. It prints with the “Sample text” mark until it is approved.",
        "success",
    )
    for warning in change.warnings:
        flash(f"{warning}.", "warning")
    for code, how in translation_notes(clinic(), open_section(clinic(), *section.key.split("/"))):
        flash(_note_words(code, how), "warning")


def _note_words(code: str, how: str) -> str:
    shown = language_name(code)
    if how == "behind":
        return f"The {shown} text still translates the older English version: update it too."
    return (
        f"Leaflets in {shown} now print your kit's English text: the built-in {shown} text is "
        f"not used while your kit has its own English. Edit the {shown} text to make your own."
    )


def _notes(section: Section) -> list[str]:
    return [_note_words(code, how) for code, how in translation_notes(clinic(), section)]


def _placeholders(language: str) -> list[tuple[str, str, str | None]]:
    """Each placeholder a section may use, what it stands for, and this clinic's value."""
    values = placeholder_values(clinic().in_language(language), language)
    found = []
    for dotted, meaning in PLACEHOLDERS.items():
        group, field = dotted.split(".")
        found.append((f"{{{{ {dotted} }}}}", meaning, values[group][field]))
    return found


@blueprint.route("/content/<slug>/<name>/preview", methods=["POST"])
def preview_section(slug: str, name: str):
    """The draft as printed, its scores and its problems, for the editor's live preview."""
    section = _open(slug, name)
    checked = check_draft(
        clinic(), section, request.form.get("title", ""), request.form.get("markdown", "")
    )
    return jsonify(
        html=checked.html,
        short_html=checked.short_html,
        problem=checked.problem,
        warnings=list(checked.warnings),
        scores=[
            {
                "label": label or "Full text",
                "grade": score.grade,
                "smog": score.smog,
                "above_target": score.above_target,
            }
            for label, score in checked.scores or []
        ],
        scored=checked.scores is not None,
    )


@blueprint.route("/content/<slug>/<name>/revert", methods=["GET", "POST"])
def revert(slug: str, name: str):
    section = _open(slug, name)
    current = clinic()
    if not section.in_kit or section.builtin is None:
        abort(404, "This section has no built-in text to go back to, or your kit has no own text.")
    if request.method == "POST" and (by := _by()) is not None:
        try:
            change = revert_section(current, section, by)
        except HandoutsError as error:
            flash(f"Not changed: {error.message}", "error")
        else:
            flash(
                f"{section.key} is the built-in text again (version {change.version}); your "
                f"kit's own file was removed.",
                "success",
            )
            return redirect(url_for("manage.section", slug=slug, name=name), code=303)
    builtin = read_block(section.builtin, slug, name, section.language)
    return render_template(
        "manage/revert.html",
        section=section,
        builtin=builtin,
        language=language_name(section.language),
        name_value=session.get(NAME_KEY, ""),
        demo=is_demo(current),
    )


@blueprint.route("/content/new", methods=["GET", "POST"])
def new_treatment():
    current = clinic()
    form = {key: request.form.get(key, "") for key in ("title", "slug", "also_known_as", "summary")}
    error = None
    if request.method == "POST" and (by := _by()) is not None:
        try:
            added = add_treatment(
                current, form["title"], form["slug"], form["also_known_as"], form["summary"], by
            )
        except HandoutsError as problem:
            error = problem.message
        else:
            flash(
                f"Added {added.slug} with seven sections of draft text. Edit each section, "
                "then approve it: until then it prints with the “Sample text” mark.",
                "success",
            )
            return redirect(url_for("manage.content") + f"#{added.slug}", code=303)
    return render_template(
        "manage/new_treatment.html",
        form=form,
        error=error,
        suggested=slug_for(form["title"]),
        name_value=session.get(NAME_KEY, ""),
        demo=is_demo(current),
    ), (400 if error else 200)
