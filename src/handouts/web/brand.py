"""The clinic's look for the web pages: colours, logo and the bundled reading font."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_from_directory

from ..paths import builtin_dir
from ..theme import mix_with_white, readable_shade
from .state import clinic

blueprint = Blueprint("brand", __name__)
WEB_FONTS = {
    "AtkinsonHyperlegible-Regular.ttf",
    "AtkinsonHyperlegible-Bold.ttf",
    "AtkinsonHyperlegible-Italic.ttf",
}


@blueprint.route("/brand.css")
def stylesheet() -> Response:
    """The clinic's colours as CSS variables, used by ``static/app.css``.

    The primary colour carries white text and links on white, so a light brand colour is
    darkened to a shade with WCAG AA contrast.
    """
    colours = clinic().colors
    primary = readable_shade(colours.primary)
    css = (
        ":root {\n"
        f"  --primary: {primary};\n"
        f"  --primary-tint: {mix_with_white(primary, 0.08)};\n"
        f"  --primary-soft: {mix_with_white(primary, 0.22)};\n"
        f"  --accent: {colours.accent};\n"
        f"  --accent-tint: {mix_with_white(colours.accent, 0.15)};\n"
        "}\n"
    )
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.route("/brand/logo")
def logo() -> Response:
    path = clinic().logo_path
    if path is None or not path.is_file():
        abort(404)
    response = send_from_directory(path.parent, path.name, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@blueprint.route("/favicon.ico")
def favicon() -> Response:
    """The clinic's logo as the browser tab's icon (nothing when there is no logo)."""
    if clinic().logo_path is None:
        return Response(status=204)
    return logo()


@blueprint.route("/fonts/<name>")
def font(name: str) -> Response:
    if name not in WEB_FONTS:
        abort(404)
    return send_from_directory(builtin_dir("styles") / "fonts", name, max_age=86400)
