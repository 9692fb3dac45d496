"""Who may use the web app: anyone on this computer, or whoever knows the access code.

On loopback no code is needed. To serve other machines, ``HANDOUTS_WEB_TOKEN`` must be
set; then every request needs it, either signed in through the form (a session cookie)
or, for scripts, as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time

from flask import (
    Blueprint,
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

blueprint = Blueprint("auth", __name__)


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.1, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve other machines without an access code, or with a short one."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise HandoutsError(
            f"{TOKEN_VARIABLE}: use at least {MIN_TOKEN_LENGTH} characters, e.g. four random words"
        )
    if not is_loopback(host) and not token:
        raise HandoutsError(
            f"--host {host}: other computers could open the leaflets and patient names; "
            f"set {TOKEN_VARIABLE} to an access code first, or use --host 127.0.0.1"
        )


def _token_tag(token: str) -> str:
    """What the session keeps: changing the access code signs everyone out."""
    return hashlib.sha256(f"handouts web\0{token}".encode()).hexdigest()


def _matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def signed_in() -> bool:
    """True if this request may use the app."""
    token = current_app.config["HANDOUTS_TOKEN"]
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer " and _matches(header[7:].strip(), token):
        return True
    return session.get("access") == _token_tag(token)


@blueprint.before_app_request
def require_access():
    if request.endpoint in OPEN_ENDPOINTS or signed_in():
        return None
    if request.path.startswith("/api/"):
        response = jsonify(error="sign in: send the access code as 'Authorization: Bearer ...'")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="handouts"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an address elsewhere (``//evil``, ``https://``)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
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
        if _matches(request.form.get("token", ""), token):
            session.clear()
            session["access"] = _token_tag(token)
            return redirect(target, code=303)
        time.sleep(0.5)  # slows down guessing
        error = "That access code is not right. Check it with your clinic manager."
    status = 401 if error else 200
    return render_template("login.html", error=error, next=target), status


@blueprint.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("auth.login"), code=303)
