"""The history file itself: where it is, opening it safely, its tables, and its faults.

A file that is damaged, empty, locked, read-only or a folder gives one line naming it
and what to do; a file that is there is never replaced.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Clinic
from .errors import HandoutsError
from .paths import DEMO_CLINIC_DIR, data_folder, display_path

DATABASE_NAME = "handouts-history.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS leaflets (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    channel TEXT NOT NULL,
    treatments TEXT NOT NULL,
    language TEXT NOT NULL,
    paper TEXT NOT NULL,
    content_versions TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    patient TEXT,
    appointment TEXT,
    output TEXT,
    input_key TEXT,
    layout TEXT
);
CREATE INDEX IF NOT EXISTS leaflets_output ON leaflets (output);
CREATE TABLE IF NOT EXISTS messages (
    key TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    patient TEXT,
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed TEXT,
    sent TEXT,
    content BLOB,  -- the exact letter, kept until it is known to be sent (to resend it)
    record TEXT  -- its leaflet's history record (JSON), added to leaflets once it is sent
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,  -- ISO date-time with its offset
    who TEXT NOT NULL,
    action TEXT NOT NULL,  -- approve, migrate
    subject TEXT NOT NULL,  -- what it is about, e.g. microneedling/aftercare (es)
    old TEXT,  -- the version or value before (NULL: none)
    new TEXT
);
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY,  -- csv:<the booking's own id>, or csv:row:<digest of its values>
    source TEXT NOT NULL,  -- where it was last read from, e.g. csv:export.csv
    source_id TEXT,  -- the booking system's own id, if it gave one
    patient TEXT NOT NULL,
    email TEXT,
    treatments TEXT NOT NULL,  -- JSON list of treatment names (slugs)
    start TEXT NOT NULL,  -- clinic local time: YYYY-MM-DDTHH:MM, or YYYY-MM-DD
    practitioner TEXT,
    language TEXT,
    status TEXT NOT NULL,  -- booked, rescheduled, cancelled
    previous_start TEXT,  -- the start before the last reschedule
    first_seen TEXT NOT NULL,  -- ISO date-time with its offset
    last_changed TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS appointments_start ON appointments (start);
"""


def database_path(clinic: Clinic) -> Path:
    """The history file: in the kit, or for the demo clinic in the user's data folder."""
    if clinic.kit_dir is not None and clinic.kit_dir.resolve() != DEMO_CLINIC_DIR:
        return clinic.kit_dir / DATABASE_NAME
    return data_folder() / DATABASE_NAME


LOCK_WAIT_SECONDS = 30
"""How long to wait for another program to let go of the history file."""


class HistoryError(HandoutsError):
    """The history file cannot be used; nothing in it was changed."""


@contextmanager
def connect(clinic: Clinic) -> Iterator[sqlite3.Connection]:
    """Open (creating, owner-only) the clinic's history database in a transaction.

    Whatever goes wrong with the file (damaged, empty, locked, read-only, a folder)
    raises HistoryError: one line naming the file and what to do. A file that is
    there is never replaced: an empty one is refused, since a history was lost.
    """
    path = database_path(clinic)
    try:
        connection = _open(path)
    except OSError as error:
        raise HistoryError(
            f"{display_path(path)}: cannot open the history file ({error.strerror}); "
            "check the file and its folder can be written by this user"
        ) from None
    except sqlite3.DatabaseError as error:
        raise history_error(path, error) from None
    try:
        if _checked.get(path) != _signature(path):
            _check_whole(connection)
        with connection:
            connection.executescript(SCHEMA)
            _rename_old_columns(connection)
            _add_missing_columns(connection)
            yield connection
    except sqlite3.DatabaseError as error:
        raise history_error(path, error) from None
    finally:
        connection.close()
    _checked[path] = _signature(path)  # as we left it: checked again if another changes it


def check_history(clinic: Clinic) -> None:
    """Raise HistoryError now if the history cannot be read and written (before making
    anything that would have to be recorded)."""
    with connect(clinic):
        pass
    path = database_path(clinic)
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise history_error(path, sqlite3.OperationalError("readonly"))


_checked: dict[Path, tuple[int, int]] = {}
"""Each history file this process checked whole, by size and time as it last saw it."""


def _signature(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _check_whole(connection: sqlite3.Connection) -> None:
    """SQLite's quick check of every page: a damaged file is found before it is written."""
    result = connection.execute("PRAGMA quick_check(1)").fetchone()
    if result is not None and result[0] != "ok":
        raise sqlite3.DatabaseError(result[0])


def _open(path: Path) -> sqlite3.Connection:
    """Connect to ``path``, first making it (with its tables) if there is no file."""
    if path.is_dir():
        raise HistoryError(
            f"{display_path(path)}: is a folder, not the history file; move it elsewhere"
        )
    if not path.exists():
        _create(path)
    elif path.stat().st_size == 0:
        raise HistoryError(
            f"{display_path(path)}: the history file is empty (0 bytes), so its records "
            "were lost; restore it from a backup, or delete it to start a new history"
        )
    return sqlite3.connect(path, timeout=LOCK_WAIT_SECONDS)


def _create(path: Path) -> None:
    """A new history file, owner-only, which appears whole (never as an empty file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
    os.close(handle)  # owner-only, and a name of its own for each caller
    draft = Path(name)
    try:
        connection = sqlite3.connect(draft)
        try:
            with connection:
                connection.executescript(SCHEMA)
        finally:
            connection.close()
        try:
            os.link(draft, path)  # never over a file another run made meanwhile
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def history_error(path: Path, error: sqlite3.DatabaseError) -> HistoryError:
    """What an SQLite error means for the clinic, and what to do about it."""
    detail = " ".join(str(error).split())  # SQLite's check may answer over several lines
    error = type(error)(detail)
    text = detail.lower()
    where = display_path(path)
    if "locked" in text or "busy" in text:
        return HistoryError(
            f"{where}: the history file is busy in another program (waited "
            f"{LOCK_WAIT_SECONDS} s); close whatever has it open and run again"
        )
    if "readonly" in text or "read-only" in text:
        return HistoryError(
            f"{where}: the history file is read-only; let this user write to it and to "
            "its folder, then run again"
        )
    if "full" in text:
        return HistoryError(f"{where}: the disk is full; free some space and run again")
    if "unable to open" in text or "disk i/o" in text:
        return HistoryError(
            f"{where}: cannot open the history file ({error}); check the file and its "
            "folder can be written by this user"
        )
    return HistoryError(
        f"{where}: the history file is damaged ({error}); restore it "
        "from a backup, or rename it to start a new history"
    )


ADDED_COLUMNS = {
    "leaflets": {"input_key": "TEXT", "layout": "TEXT"},
    "messages": {"content": "BLOB", "record": "TEXT"},
}
"""Columns added after the first release of a table, added to older history files."""

RENAMED_COLUMNS = {"messages": {"subject": "kind"}}
"""Old column name -> new, renamed in older history files."""


def _column_names(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def _rename_old_columns(connection: sqlite3.Connection) -> None:
    for table, renames in RENAMED_COLUMNS.items():
        present = _column_names(connection, table)
        for old, new in renames.items():
            if old in present and new not in present:
                connection.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    for table, columns in ADDED_COLUMNS.items():
        present = _column_names(connection, table)
        for name, column_type in columns.items():
            if name not in present:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {column_type}")
