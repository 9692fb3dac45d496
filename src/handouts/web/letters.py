"""Letters whose outcome is not known: reception checks the mail server, then marks or resends."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("letters", __name__)
