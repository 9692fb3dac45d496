"""``handouts serve``: run the web app in waitress, a production WSGI server."""

from __future__ import annotations

import os
import select
import signal
import socket
import threading
import weakref
from pathlib import Path

from ..errors import HandoutsError
from .auth import TOKEN_VARIABLE, check_binding

THREADS = 16
"""Request threads; rendering itself runs in worker processes."""

CONNECTION_LIMIT = 1000
"""Open connections waitress keeps at once (its default, 100, is easy to fill with idle ones).
Each costs a few kilobytes, and waiting ones use no thread: a thread only runs a request
once waitress has read all of it."""

WINDOWS_CONNECTION_LIMIT = 400
"""On Windows waitress waits on sockets with ``select()``, which takes at most 512."""

SPARE_FILES = 256
"""Open files kept for other things than connections: worker pipes, cache files, and the
temporary file waitress spills a large response into."""

CHANNEL_TIMEOUT = 30
"""Seconds a connection may stay open doing nothing (no byte either way) before it is closed.
Browsers just open a new one when they need it."""

REQUEST_TIMEOUT = 30
"""Seconds a client may take to send one request, headers and body; closes connections
that trickle a request byte by byte (idle ones are closed by CHANNEL_TIMEOUT)."""

BACKLOG = 1024
"""Connections the system holds waiting to be accepted while waitress is busy."""

MAX_REQUEST_BODY = 10 * 1024 * 1024
"""Bytes waitress reads of a request body (its default is 1 GB, spilled to disk): room for
the manager's logo and font uploads (``manage_branding.MAX_UPLOAD_REQUEST``); the app itself
refuses more than ``MAX_CONTENT_LENGTH`` (64 KB) on every other form with a friendly page."""


def serve(
    clinic_dir: Path | None,
    host: str,
    port: int,
    announce=print,
    *,
    channel_timeout: int = CHANNEL_TIMEOUT,
    request_timeout: int = REQUEST_TIMEOUT,
) -> None:
    """Serve until stopped with Ctrl+C. Refuses other hosts without an access code.

    The timeouts (whole seconds) are for tests; the defaults suit a clinic.
    """
    import waitress

    from . import create_app

    token = os.environ.get(TOKEN_VARIABLE) or None
    check_binding(host, token)
    app = create_app(clinic_dir, token=token, host=host)
    connections = _connection_limit()
    listeners: dict = {}  # waitress's socket map: the listening sockets, then connections
    try:
        _check_free(host, port)  # waitress leaves sockets open when binding fails
        server = waitress.create_server(
            app,
            map=listeners,
            host=host,
            port=port,
            threads=THREADS,
            ident="handouts",
            connection_limit=connections,
            channel_timeout=channel_timeout,
            cleanup_interval=max(1, min(channel_timeout, request_timeout) // 6),
            backlog=BACKLOG,
            max_request_body_size=MAX_REQUEST_BODY,
            # poll() has no limit on descriptor numbers; select() fails past 1024 on Linux.
            asyncore_use_poll=hasattr(select, "poll"),
        )
    except OSError as error:
        raise HandoutsError(
            f"--host {host} --port {port}: cannot listen there ({error.strerror or error}); "
            "is handouts already running? Choose another --port"
        ) from None
    for listener in list(listeners.values()):
        if hasattr(listener, "active_channels"):
            _limit_request_time(listener, request_timeout)
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


def _connection_limit() -> int:
    """CONNECTION_LIMIT, after raising this process's open-files limit to fit it if it can."""
    try:
        import resource
    except ImportError:  # Windows
        return WINDOWS_CONNECTION_LIMIT
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):  # macOS caps it below what getrlimit reports
            pass
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(min(CONNECTION_LIMIT, soft - SPARE_FILES), soft // 2)


def _limit_request_time(listener, request_timeout: int) -> None:
    """Have waitress's regular clean-up also close connections slower than request_timeout.

    Waitress closes only connections that send nothing for ``channel_timeout``; one that
    sends a byte every few seconds would stay for ever. Its clean-up runs every
    ``cleanup_interval`` seconds in the server's loop, where requests are read.
    """
    first_seen: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    close_idle = listener.maintenance

    def maintenance(now: float) -> None:
        close_idle(now)
        for channel in list(listener.active_channels.values()):
            partial = channel.request  # a request still being received, if any
            if partial is None or channel.requests:
                continue
            if now - first_seen.setdefault(partial, now) > request_timeout:
                channel.will_close = True

    listener.maintenance = maintenance
