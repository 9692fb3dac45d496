"""Who may use the web app: anyone on this computer, or whoever knows the access code.

On loopback no code is needed. To serve other machines, ``HANDOUTS_WEB_TOKEN`` must be
set; then every request needs it, either signed in through the form (a session cookie)
or, for scripts, as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..errors import HandoutsError

TOKEN_VARIABLE = "HANDOUTS_WEB_TOKEN"
MIN_TOKEN_LENGTH = 12
OPEN_ENDPOINTS = {
    "auth.login",
    "static",
    "brand.stylesheet",
    "brand.font",
    "brand.logo",
    "brand.favicon",
}
"""Pages anyone may load: the sign-in form and what it needs to look right."""

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
"""Host names a browser on this computer uses to reach an app bound to loopback."""

blueprint = Blueprint("auth", __name__)


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.1, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_token(token: str | None) -> None:
    """Refuse an access code that is too short to resist guessing."""
    if token is not None and len(token.strip()) < MIN_TOKEN_LENGTH:
        raise HandoutsError(
            f"{TOKEN_VARIABLE}: use at least {MIN_TOKEN_LENGTH} characters, e.g. four random words"
        )


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve other machines without an access code, or with a short one."""
    check_token(token)
    if not is_loopback(host) and not token:
        raise HandoutsError(
            f"--host {host}: other computers could open the leaflets and patient names; "
            f"set {TOKEN_VARIABLE} to an access code first, or use --host 127.0.0.1"
        )


def _matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def _signed_in_sessions() -> set[str]:
    """Ids of the browser sessions signed in since the app started (sign out removes one)."""
    return current_app.extensions["handouts_sessions"]


def signed_in() -> bool:
    """True if this request may use the app."""
    token = current_app.config["HANDOUTS_TOKEN"]
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        given = header[7:].strip().encode("latin-1").decode("utf-8", "replace")
        return _matches(given, token.strip())
    return session.get("access") in _signed_in_sessions()


@blueprint.before_app_request
def require_access():
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        # Another website's page (a link, an image, a form) must not reach patient data.
        abort(403, "This app only answers its own pages. Open it from its address instead.")
    if request.endpoint in OPEN_ENDPOINTS or signed_in():
        return None
    if request.path.startswith("/api/"):
        response = jsonify(error="sign in: send the access code as 'Authorization: Bearer ...'")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="handouts"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an address elsewhere (``//evil``, tabs, backslashes)."""
    if (
        target
        and target.startswith("/")
        and not any(character in target for character in "\\\t\r\n")
        and target.isprintable()
        and not urlsplit(target).netloc
        and not target.startswith("//")
    ):
        return target
    return url_for("pages.index")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    token = current_app.config["HANDOUTS_TOKEN"]
    target = _safe_next(request.values.get("next"))
    if not token:
        return redirect(target)
    error = None
    if request.method == "POST":
        if _matches(request.form.get("token", "").strip(), token.strip()):
            session.clear()
            session["access"] = secrets.token_urlsafe(24)
            _signed_in_sessions().add(session["access"])
            return redirect(target, code=303)
        error = "That access code is not right. Check it with your clinic manager."
    status = 401 if error else 200
    return render_template("login.html", error=error, next=target), status


@blueprint.route("/logout", methods=["POST"])
def logout():
    _signed_in_sessions().discard(session.get("access", ""))
    session.clear()
    return redirect(url_for("auth.login"), code=303)
