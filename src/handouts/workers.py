"""Worker processes that stop with their command: batch runs and the web app use them."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import warnings
from collections.abc import Iterator


def start_worker() -> None:
    """In a new worker: leave Ctrl+C to the command, and never outlive it.

    The command stops its workers in order; if it is killed instead, each worker sees
    its parent go and exits, so no orphan goes on rendering.
    """
    from multiprocessing.connection import wait

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = multiprocessing.parent_process()
    if parent is not None:

        def exit_with_parent() -> None:
            wait([parent.sentinel])
            os._exit(0)

        threading.Thread(target=exit_with_parent, daemon=True).start()


def stop_workers(pool) -> None:
    """End a ProcessPoolExecutor's workers now, mid-leaflet (they write no files)."""
    # The executor has no public way to end its workers before Python 3.14.
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(OSError):
            process.terminate()
    for process in list(getattr(pool, "_processes", {}).values()):
        process.join(5)
        if process.is_alive():
            process.kill()


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM (a service manager's stop) into Ctrl+C while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def held_signals(stop_after: bool = True) -> Iterator[None]:
    """Finish the block before Ctrl+C or SIGTERM stops anything (a file and its record).

    A stop asked for meanwhile is kept and raised as KeyboardInterrupt after the block;
    with ``stop_after=False`` (the clean-up after a stop) it is let go.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    asked: list[int] = []
    previous = {
        number: signal.signal(number, lambda number, frame: asked.append(number))
        for number in STOP_SIGNALS
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if asked and stop_after:
        raise KeyboardInterrupt


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def caught_notes() -> Iterator[list[str]]:
    """Collect the warnings raised in the block as text, each once, to pass to the parent."""
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield notes
        finally:
            notes.extend(dict.fromkeys(str(warning.message) for warning in caught))
