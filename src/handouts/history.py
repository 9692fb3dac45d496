"""The clinic's record of every leaflet made: when, what, which content versions, for whom.

It is a SQLite file in the clinic kit (for the demo clinic, in the user's data folder),
created readable by its owner only: patient names never leave the clinic's machine.
"""

from __future__ import annotations

import json
import os
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
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
"""


@dataclass(frozen=True)
class LeafletRecord:
    """One leaflet made: what went into it and where it went."""

    created: str
    channel: str
    """How it left the clinic: build, batch, email or web."""
    treatments: list[str]
    language: str
    paper: str
    content_versions: dict[str, str]
    """``"<treatment>/<block>": "<version>"`` for every section printed."""
    sha256: str
    patient: str | None = None
    appointment: str | None = None
    output: str | None = None
    input_key: str | None = None
    """Digest of everything that shaped the PDF; the same key means the same leaflet."""
    layout: str = "leaflet"
    """leaflet, trifold or card, with "large print" when it was."""


def database_path(clinic: Clinic) -> Path:
    """The history file: in the kit, or for the demo clinic in the user's data folder."""
    if clinic.kit_dir is not None and clinic.kit_dir.resolve() != DEMO_CLINIC_DIR:
        return clinic.kit_dir / DATABASE_NAME
    return data_folder() / DATABASE_NAME


@contextmanager
def connect(clinic: Clinic) -> Iterator[sqlite3.Connection]:
    """Open (creating, owner-only) the clinic's history database in a transaction."""
    path = database_path(clinic)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        connection = sqlite3.connect(path, timeout=30)
    except OSError as error:
        raise HandoutsError(
            f"{display_path(path)}: cannot open the history file ({error.strerror})"
        ) from None
    try:
        with connection:
            connection.executescript(SCHEMA)
            _rename_old_columns(connection)
            _add_missing_columns(connection)
            yield connection
    finally:
        connection.close()


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


def record_leaflets(clinic: Clinic, records: list[LeafletRecord]) -> None:
    """Add leaflets to the clinic's history, all in one transaction."""
    with connect(clinic) as connection:
        for record in records:
            row = asdict(record)
            row["treatments"] = ";".join(record.treatments)
            row["content_versions"] = json.dumps(record.content_versions, sort_keys=True)
            connection.execute(
                f"INSERT INTO leaflets ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )


def now() -> str:
    """The current time as stored in history: UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _folded(text: str) -> str:
    """``text`` for matching: no case, no accents (José, JOSÉ and jose are the same)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", bare)


def leaflet_history(clinic: Clinic, patient: str | None = None) -> list[LeafletRecord]:
    """Leaflets made, newest first; with ``patient``, those whose name contains it.

    The match ignores case and accents: "jose" finds "José".
    """
    with connect(clinic) as connection:
        rows = connection.execute(
            "SELECT created, channel, treatments, language, paper, content_versions, sha256, "
            "patient, appointment, output, input_key, COALESCE(layout, 'leaflet') "
            "FROM leaflets ORDER BY id DESC"
        ).fetchall()
    records = [
        LeafletRecord(
            row[0], row[1], row[2].split(";"), row[3], row[4], json.loads(row[5]), *row[6:]
        )
        for row in rows
    ]
    if patient:
        wanted = _folded(patient)
        records = [r for r in records if r.patient and wanted in _folded(r.patient)]
    return records


def latest_input_keys(clinic: Clinic, outputs: list[str]) -> dict[str, str]:
    """For each output path, the input key of the last leaflet written there."""
    keys: dict[str, str] = {}
    with connect(clinic) as connection:
        for output in outputs:
            row = connection.execute(
                "SELECT input_key FROM leaflets WHERE output = ? ORDER BY id DESC LIMIT 1",
                (output,),
            ).fetchone()
            if row and row[0]:
                keys[output] = row[0]
    return keys
