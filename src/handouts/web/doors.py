"""The two ways into the web app: reception's access code and the manager's.

Each door has its own code (an app config key) and its own signed-in sessions, so
signing in at one never opens the other.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for


def matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


@dataclass(frozen=True)
class Door:
    """One way in: the app config key holding its code, and the session key it sets."""

    config_key: str
    session_key: str
    login_endpoint: str
    home_endpoint: str
    template: str
    """The sign-in page, shown again after a wrong code."""
    ask: str
    """Who to check the code with, for the "wrong code" messages."""

    def code(self) -> str | None:
        return current_app.config.get(self.config_key)

    def sessions(self) -> set[str]:
        """Ids of the browser sessions signed in since the app started (sign out removes one)."""
        return current_app.extensions.setdefault(f"handouts_sessions_{self.session_key}", set())

    def is_open(self) -> bool:
        """True if this browser session signed in at this door."""
        return session.get(self.session_key) in self.sessions()

    def sign_in(self) -> None:
        """Mark this browser session signed in, under a new id."""
        self.sign_out()
        session[self.session_key] = secrets.token_urlsafe(24)
        self.sessions().add(session[self.session_key])

    def sign_out(self) -> None:
        self.sessions().discard(session.pop(self.session_key, ""))


RECEPTION = Door(
    "HANDOUTS_TOKEN", "access", "auth.login", "pages.index", "login.html",
    "check it with your clinic manager",
)  # fmt: skip
MANAGER = Door(
    "HANDOUTS_MANAGER_CODE", "manager", "manage.login", "manage.content", "manage/login.html",
    "check it with whoever looks after the leaflet app",
)  # fmt: skip
DOORS = (RECEPTION, MANAGER)


def sign_in_door() -> Door | None:
    """The door whose sign-in form this request sends a code to, if any."""
    for door in DOORS:
        if request.endpoint == door.login_endpoint and request.method == "POST" and door.code():
            return door
    return None


def note_attempt(right: bool) -> None:
    """Count a wrong code against this client; remember a client that got it right."""
    if right:
        current_app.extensions["handouts_known_clients"].add(request.remote_addr)
    else:
        g.handouts_wrong_code = True  # counted by the limiter (see auth.SIGN_IN_LIMITS)


def safe_next(target: str | None, door: Door = RECEPTION) -> str:
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
    return url_for(door.home_endpoint)


def sign_in_page(door: Door):
    """The sign-in form of ``door``: on the right code, on to ``next`` (a path here)."""
    code = door.code()
    target = safe_next(request.values.get("next"), door)
    if not code:
        return redirect(target)
    error = None
    if request.method == "POST":
        right = matches(request.form.get("token", "").strip(), code.strip())
        note_attempt(right)
        if right:
            door.sign_in()
            return redirect(target, code=303)
        error = f"That access code is not right. Check {door.ask.removeprefix('check ')}."
    status = 401 if error else 200
    return render_template(door.template, error=error, next=target), status
