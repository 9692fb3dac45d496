"""``POST /api/appointments``: a booking system's webhook, signed with a shared secret.

Off unless ``HANDOUTS_WEBHOOK_SECRET`` (32 characters or more) is set. Each call carries
``X-Handouts-Timestamp: <Unix seconds>`` and ``X-Handouts-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``<timestamp>.<raw body>`` under the secret; a signature that is missing,
malformed or wrong, or a timestamp more than 5 minutes off, is refused (401) before the
body is parsed. Exempt from CSRF and from reception's sign-in, as it is machine to machine.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import HandoutsError
from ..webhook_reader import receive_webhook
from .state import clinic

SECRET_VARIABLE = "HANDOUTS_WEBHOOK_SECRET"
MIN_SECRET_LENGTH = 32
MAX_BODY = 1024 * 1024
"""Bytes a call may send (a day's bookings fit many times over); more is refused (413)."""
TOLERANCE = 300
"""Seconds a call's timestamp may be from this server's clock: an old call is not replayed."""
TIMESTAMP_HEADER = "X-Handouts-Timestamp"
SIGNATURE_HEADER = "X-Handouts-Signature"
SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
ENDPOINT = "webhook.appointments"

blueprint = Blueprint("webhook", __name__, url_prefix="/api")


def check_secret(secret: str | None) -> None:
    """Refuse a secret too short to resist guessing."""
    if secret is not None and len(secret.strip()) < MIN_SECRET_LENGTH:
        raise HandoutsError(
            f"{SECRET_VARIABLE}: use at least {MIN_SECRET_LENGTH} characters, e.g. the output "
            "of: openssl rand -hex 32"
        )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: what a caller sends for ``body`` signed at ``timestamp``."""
    signed = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _refusal(body: bytes, secret: str, now: float) -> str | None:
    """Why the call's signature is refused, or None when it is good."""
    stamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not stamp or not given:
        return f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header; sign each call"
    if not stamp.isdigit() or not stamp.isascii() or not SIGNATURE.fullmatch(given):
        return f"malformed signature: send {TIMESTAMP_HEADER}: <Unix seconds> and " + (
            f"{SIGNATURE_HEADER}: sha256=<64 hex digits>"
        )
    if abs(now - int(stamp)) > TOLERANCE:
        return (
            f"{TIMESTAMP_HEADER} is more than {TOLERANCE // 60} minutes from this server's "
            "clock; sign each call when it is sent, and check both clocks"
        )
    expected = signature(secret, stamp, body)
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        return f"wrong signature; sign '<timestamp>.<body>' with {SECRET_VARIABLE}"
    return None


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


@blueprint.route("/appointments", methods=["POST"])
def appointments():
    """Store the call's appointments; per appointment its id and outcome."""
    secret = current_app.config.get("HANDOUTS_WEBHOOK_SECRET")
    if not secret:
        return _error(
            404,
            f"webhook off: set {SECRET_VARIABLE} (at least {MIN_SECRET_LENGTH} characters) "
            "where handouts serve starts, then restart it",
        )
    request.max_content_length = MAX_BODY
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _error(413, f"body: larger than {MAX_BODY // 1024} KB; send fewer per call")
    refused = _refusal(body, secret, time.time())
    if refused:
        response, status = _error(401, refused)
        response.headers["WWW-Authenticate"] = 'HMAC realm="handouts webhook"'
        return response, status
    try:
        result = receive_webhook(body, clinic())
    except HandoutsError as error:  # 400 for the body; 500 for the clinic's own problems
        return _error(error.http_status, error.message)
    return jsonify(appointments=result.appointments), 422 if result.all_rejected else 200
