"""The clinic's record of every leaflet made: when, what, which content versions, for whom.

It is a SQLite file in the clinic kit (for the demo clinic, in the user's data folder),
created readable by its owner only: patient names never leave the clinic's machine.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from .config import Clinic
from .history_file import (  # noqa: F401  (where the history file is, and its faults)
    DATABASE_NAME,
    HistoryError,
    check_history,
    connect,
    database_path,
    history_error,
)


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


def record_leaflets(clinic: Clinic, records: list[LeafletRecord]) -> None:
    """Add leaflets to the clinic's history, all in one transaction."""
    with connect(clinic) as connection:
        for record in records:
            _insert(connection, record)


@contextmanager
def recorder(clinic: Clinic) -> Iterator[Callable[[LeafletRecord], None]]:
    """``record(leaflet)`` for a long run: each one is saved at once, so a killed run
    loses none. One connection for the run; no lock is held between two records."""
    with connect(clinic) as connection:

        def record(leaflet: LeafletRecord) -> None:
            try:
                _insert(connection, leaflet)
                connection.commit()
            except sqlite3.DatabaseError as error:
                raise history_error(database_path(clinic), error) from None

        yield record


def _insert(connection: sqlite3.Connection, record: LeafletRecord) -> None:
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
