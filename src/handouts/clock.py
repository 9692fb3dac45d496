"""Today's date and the time now, which tests (and a planning run) can set.

``HANDOUTS_TODAY=YYYY-MM-DD`` makes every leaflet, in every process (batch and web
workers inherit it), judge review dates as of that day.
"""

from __future__ import annotations

import os
from datetime import date, datetime

from .errors import ConfigError

TODAY_VARIABLE = "HANDOUTS_TODAY"


def today() -> date:
    """The day review dates are judged on: ``$HANDOUTS_TODAY``, else today."""
    written = os.environ.get(TODAY_VARIABLE, "").strip()
    if written:
        try:
            return date.fromisoformat(written)
        except ValueError:
            raise ConfigError(f"{TODAY_VARIABLE}: {written!r} is not a date (YYYY-MM-DD)") from None
    return date.today()


def now_iso() -> str:
    """The local time now with its offset, to the second: ``2026-12-01T19:30:05+00:00``."""
    return datetime.now().astimezone().replace(microsecond=0).isoformat()
