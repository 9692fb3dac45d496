"""A real waitress server for a test's app, on a free port, in a thread of the test."""

from __future__ import annotations

import contextlib
import errno
import threading
from collections.abc import Iterator

import waitress


@contextlib.contextmanager
def serving(app, threads: int = 4) -> Iterator[int]:
    """Serve ``app`` on 127.0.0.1 until the block ends; yields the port."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)

    def run() -> None:
        try:
            server.run()
        except OSError as error:  # closed under the loop at the end of the test
            if error.errno != errno.EBADF:
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        server.close()
