"""Who may use the web app: anyone on this computer, or whoever knows the access code.

On loopback no code is needed. To serve other machines, ``HANDOUTS_WEB_TOKEN`` must be
set; then every request needs it, either signed in through the form (a session cookie)
or, for scripts, as ``Authorization: Bearer <token>``. The manager workspace has a door
of its own (``MANAGER``, ``HANDOUTS_MANAGER_CODE``), always locked. Wrong codes at either
door are throttled alike: see ``SIGN_IN_LIMITS``.
"""

from __future__ import annotations

import ipaddress
import math
import time

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded

from ..errors import HandoutsError
from .doors import RECEPTION, matches, note_attempt, safe_next, sign_in_door, sign_in_page

TOKEN_VARIABLE = "HANDOUTS_WEB_TOKEN"
MANAGER_VARIABLE = "HANDOUTS_MANAGER_CODE"
MIN_TOKEN_LENGTH = 12
OPEN_ENDPOINTS = {
    "auth.login",
    "static",
    "brand.stylesheet",
    "brand.font",
    "brand.logo",
    "brand.favicon",
    "webhook.appointments",
}
"""Pages anyone may load: the sign-in form and what it needs to look right, and the
webhook, which checks its own signature."""
OWN_DOOR_BLUEPRINTS = {"manage"}
"""Blueprints that check a door of their own (the manager's) instead of reception's."""

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
"""Host names a browser on this computer uses to reach an app bound to loopback."""

SIGN_IN_LIMITS = {
    "HANDOUTS_SIGN_IN_LIMIT_PER_CLIENT": "5 per minute; 20 per hour",
    "HANDOUTS_SIGN_IN_LIMIT_ALL": "20 per minute; 100 per hour",
}
"""Wrong access codes allowed, in moving windows: per client address, and for all clients
together that have not signed in since the app started (a guesser with many addresses is
held by the second; a desk that signed in before is held only by its own mistakes).
When a limit is reached every code from those clients, right or wrong, gets 429 until the
window has room again. App config keys, so tests can shorten them."""

blueprint = Blueprint("auth", __name__)


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.1, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_token(token: str | None, variable: str = TOKEN_VARIABLE) -> None:
    """Refuse an access code that is too short to resist guessing."""
    if token is not None and len(token.strip()) < MIN_TOKEN_LENGTH:
        raise HandoutsError(
            f"{variable}: use at least {MIN_TOKEN_LENGTH} characters, e.g. four random words"
        )


def trusted_hosts(token: str | None, host: str | None = None) -> list[str] | None:
    """Host headers the app answers: any with an access code; else loopback names only.

    Refusing other names stops a web page from reaching the app through DNS rebinding.
    ``host`` is the address served on, e.g. 127.0.0.2, which browsers then send.
    """
    if token:
        return None
    served = [host, f"[{host}]"] if host and ":" in host else [host] if host else []
    return list(dict.fromkeys([*LOOPBACK_NAMES, *served]))


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve other machines without an access code, or with a short one."""
    check_token(token)
    if not is_loopback(host) and not token:
        raise HandoutsError(
            f"--host {host}: other computers could open the leaflets and patient names; "
            f"set {TOKEN_VARIABLE} to an access code first, or use --host 127.0.0.1"
        )


def _bearer() -> str | None:
    """The access code in an ``Authorization: Bearer`` header, if there is one."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    return header[7:].strip().encode("latin-1").decode("utf-8", "replace")


def signed_in() -> bool:
    """True if this request may use the app."""
    token = current_app.config["HANDOUTS_TOKEN"]
    if not token:
        return True
    given = _bearer()
    if given is not None:
        right = matches(given, token.strip())
        note_attempt(right)
        return right
    return RECEPTION.is_open()


# Throttling wrong access codes ---------------------------------------------------------


def _not_a_code() -> bool:
    """True for requests that carry no access code to check (most of them)."""
    if sign_in_door() is not None:
        return False
    return not current_app.config["HANDOUTS_TOKEN"] or _bearer() is None


def _not_a_code_or_known() -> bool:
    known = request.remote_addr in current_app.extensions["handouts_known_clients"]
    return known or _not_a_code()


def _was_wrong(response) -> bool:
    return g.get("handouts_wrong_code", False)


def _limit(key: str):
    return lambda: current_app.config[key]


@blueprint.record_once
def _throttle(state) -> None:
    """Check the limits before ``require_access`` (registered after this) reads a code."""
    app: Flask = state.app
    app.config.update(
        {key: value for key, value in SIGN_IN_LIMITS.items() if key not in app.config}
    )
    app.extensions["handouts_known_clients"] = set()
    limits = [
        ApplicationLimit(
            _limit("HANDOUTS_SIGN_IN_LIMIT_PER_CLIENT"),
            scope="sign-in",
            exempt_when=_not_a_code,
            deduct_when=_was_wrong,
        ),
        ApplicationLimit(
            _limit("HANDOUTS_SIGN_IN_LIMIT_ALL"),
            key_function=lambda: "all",
            scope="sign-in-all",
            exempt_when=_not_a_code_or_known,
            deduct_when=_was_wrong,
        ),
    ]
    app.extensions["handouts_limiter"] = Limiter(
        lambda: request.remote_addr or "unknown",
        app=app,
        application_limits=limits,
        storage_uri="memory://",
        strategy="moving-window",
        headers_enabled=False,  # too_many_wrong_codes sets Retry-After
        # Unknown addresses too: a 404 after a bearer code would tell that it was right.
        request_identifier=lambda: request.endpoint or "no-such-page",
    )


@blueprint.app_errorhandler(RateLimitExceeded)
def too_many_wrong_codes(error: RateLimitExceeded):
    breached = current_app.extensions["handouts_limiter"].current_limit
    wait = max(1, math.ceil(breached.reset_at - time.time())) if breached else 60
    door = sign_in_door() or RECEPTION
    if error.limit.scope == "sign-in-all":
        message = (
            "Too many wrong access codes were tried, from several computers: sign-in here is "
            f"paused for {_in_words(wait)}. Computers that signed in earlier carry on. "
            "Tell whoever looks after the leaflet app."
        )
    else:
        message = (
            f"Too many wrong access codes from this computer. Wait {_in_words(wait)}, then type "
            f"it again; {door.ask}."
        )
    if request.path.startswith("/api/") or _bearer() is not None:
        response = jsonify(error=message)
    else:
        target = safe_next(request.values.get("next"), door)
        response = current_app.make_response(
            render_template(door.template, error=message, next=target)
        )
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def _in_words(seconds: int) -> str:
    if seconds <= 90:
        return f"{seconds} seconds" if seconds != 1 else "1 second"
    return f"{math.ceil(seconds / 60)} minutes"


@blueprint.before_app_request
def require_access():
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        # Another website's page (a link, an image, a form) must not reach patient data.
        abort(403, "This app only answers its own pages. Open it from its address instead.")
    if request.blueprint in OWN_DOOR_BLUEPRINTS:
        return None
    if request.endpoint in OPEN_ENDPOINTS or signed_in():
        return None
    if request.path.startswith("/api/"):
        response = jsonify(error="sign in: send the access code as 'Authorization: Bearer ...'")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="handouts"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    return sign_in_page(RECEPTION)


@blueprint.route("/logout", methods=["POST"])
def logout():
    RECEPTION.sign_out()
    session.clear()
    return redirect(url_for("auth.login"), code=303)
