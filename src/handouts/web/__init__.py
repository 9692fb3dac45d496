"""The reception web app: ``create_app(...)`` builds it, ``handouts serve`` runs it."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from .. import __version__
from ..config import load_clinic
from ..errors import HandoutsError
from ..mail import can_send
from ..paths import data_folder
from . import api, auth, brand, letters, manage, pages, webhook
from .auth import MANAGER_VARIABLE, TOKEN_VARIABLE, check_token, signed_in, trusted_hosts
from .doors import MANAGER
from .pool import LeafletPool
from .previews import PreviewStore
from .state import WebState, clinic
from .webhook import SECRET_VARIABLE, check_secret

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)
logger = logging.getLogger(__name__)


def create_app(
    clinic_dir: Path | str | None = None,
    *,
    token: str | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
    prepare: bool = True,
    host: str | None = None,
    manager_code: str | None = None,
    webhook_secret: str | None = None,
) -> Flask:
    """The web app for the clinic kit at ``clinic_dir`` (the demo clinic when None).

    ``token`` is the access code every request must carry (default: the
    ``HANDOUTS_WEB_TOKEN`` environment variable; none means open to this computer).
    ``cache_dir`` keeps rendered non-personal leaflets (default: the data folder).
    ``prepare`` has the workers ready every treatment's leaflet for stamping as they
    start, and again after a kit change (tests that do not time copies turn it off).
    ``host`` is the address it is served on: without a code, browsers may name it
    (e.g. 127.0.0.2) as well as localhost. ``manager_code`` opens the manager workspace
    (default: ``HANDOUTS_MANAGER_CODE``; none means the workspace is off).
    ``webhook_secret`` signs calls to ``POST /api/appointments`` (default:
    ``HANDOUTS_WEBHOOK_SECRET``; none means the webhook is off).
    """
    kit_dir = load_clinic(clinic_dir).kit_dir  # a broken clinic.yaml stops here, clearly
    if token is None:
        token = os.environ.get(TOKEN_VARIABLE) or None
    check_token(token)
    if manager_code is None:
        manager_code = os.environ.get(MANAGER_VARIABLE) or None
    check_token(manager_code, MANAGER_VARIABLE)
    if manager_code and token and manager_code.strip() == token.strip():
        raise HandoutsError(
            f"{MANAGER_VARIABLE}: use another code than {TOKEN_VARIABLE}, which reception has"
        )
    if webhook_secret is None:
        webhook_secret = os.environ.get(SECRET_VARIABLE) or None
    check_secret(webhook_secret)
    if webhook_secret and webhook_secret.strip() in {(token or "").strip(), manager_code}:
        raise HandoutsError(f"{SECRET_VARIABLE}: use another secret than the access codes")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        HANDOUTS_TOKEN=token,
        HANDOUTS_MANAGER_CODE=manager_code,
        HANDOUTS_WEBHOOK_SECRET=webhook_secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=64 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        TRUSTED_HOSTS=trusted_hosts(token, host),
    )
    maker = LeafletPool(kit_dir, cache_dir or data_folder() / "cache", workers, prepare=prepare)
    app.extensions["handouts"] = WebState(kit_dir, maker, PreviewStore())
    CSRFProtect(app).exempt(webhook.blueprint)  # signed by the booking system instead
    for module in (auth, brand, pages, letters, api, webhook, manage):
        app.register_blueprint(module.blueprint)
    _add_error_pages(app)
    app.after_request(_secure_headers)
    app.context_processor(_page_context)
    return app


def _page_context() -> dict[str, object]:
    current = clinic()
    return {
        "clinic": current,
        "has_logo": current.logo_path is not None,
        "needs_sign_in": bool(current_app.config["HANDOUTS_TOKEN"]),
        "signed_in": signed_in(),
        "manager_signed_in": MANAGER.is_open(),
        "version": __version__,
        "mail_ready": can_send(current),
    }


def _secure_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.blueprint not in ("brand",) and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"  # patient names stay off disk caches
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _add_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _error_page(
            400,
            "This form has expired",
            "The page was open too long or the app was restarted. Go back, reload the page "
            "and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            404: "Page not found",
            405: "Not allowed",
            413: "Too much data",
        }
        title = messages.get(error.code or 500, error.name)
        description = error.description or ""
        if error.code == 404 and "requested URL" in description:
            description = "There is nothing at this address. Start again from the main page."
        return _error_page(error.code or 500, title, description)

    @app.errorhandler(HandoutsError)
    def kit_error(error: HandoutsError):
        return _error_page(
            500, "The clinic kit has a problem", f"{error.message}. Run 'handouts check'."
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        logger.exception("unexpected error on %s", request.path)
        return _error_page(
            500,
            "Something went wrong",
            "The leaflet app hit an unexpected problem. Try again; if it keeps happening, "
            "restart it and tell whoever looks after it.",
        )


def _error_page(status: int, title: str, message: str):
    if _wants_json():
        return jsonify(error=f"{title}: {message}" if message else title), status
    try:
        return render_template("error.html", title=title, message=message), status
    except Exception:  # the clinic kit itself may be what is broken
        return Response(f"{title}\n\n{message}\n", status, mimetype="text/plain")


__all__ = ["create_app"]
