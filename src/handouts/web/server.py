"""``handouts serve``: run the web app in waitress, a production WSGI server."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path

from ..errors import HandoutsError
from .auth import TOKEN_VARIABLE, check_binding

THREADS = 16
"""Request threads; rendering itself runs in worker processes."""


def serve(clinic_dir: Path | None, host: str, port: int, announce=print) -> None:
    """Serve until stopped with Ctrl+C. Refuses other hosts without an access code."""
    import waitress

    from . import create_app

    token = os.environ.get(TOKEN_VARIABLE) or None
    check_binding(host, token)
    app = create_app(clinic_dir, token=token)
    try:
        _check_free(host, port)  # waitress leaves sockets open when binding fails
        server = waitress.create_server(
            app, host=host, port=port, threads=THREADS, ident="handouts"
        )
    except OSError as error:
        raise HandoutsError(
            f"--host {host} --port {port}: cannot listen there ({error.strerror or error}); "
            "is handouts already running? Choose another --port"
        ) from None
    maker = app.extensions["handouts"].maker
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop: stop cleanly
    try:
        maker.start()
        shown = f"[{host}]" if ":" in host else host
        announce(f"Leaflets for reception: http://{shown}:{port}/  (press Ctrl+C to stop)")
        server.run()  # returns on Ctrl+C
        announce("Stopped.")
    except KeyboardInterrupt:
        announce("Stopped.")
    finally:
        server.close()
        maker.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _check_free(host: str, port: int) -> None:
    """Raise OSError if ``host:port`` cannot be listened on."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    with socket.create_server((host, port), family=family):
        pass
