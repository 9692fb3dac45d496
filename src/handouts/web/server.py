"""``handouts serve``: run the web app in waitress, a production WSGI server."""

from __future__ import annotations

import os
from pathlib import Path

from .auth import TOKEN_VARIABLE, check_binding

THREADS = 16
"""Request threads; rendering itself runs in worker processes."""


def serve(clinic_dir: Path | None, host: str, port: int, announce=print) -> None:
    """Serve until stopped (Ctrl+C). Refuses other hosts without an access code."""
    import waitress

    from . import create_app

    token = os.environ.get(TOKEN_VARIABLE) or None
    check_binding(host, token)
    app = create_app(clinic_dir, token=token)
    maker = app.extensions["handouts"].maker
    maker.warm_up()
    shown = f"[{host}]" if ":" in host else host
    announce(f"Leaflets for reception: http://{shown}:{port}/  (press Ctrl+C to stop)")
    try:
        waitress.serve(app, host=host, port=port, threads=THREADS, ident="handouts")
    finally:
        maker.close()
