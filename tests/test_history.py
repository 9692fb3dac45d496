"""The leaflet history: searching patients by name, and older history files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli import cli
from handouts.config import load_clinic
from handouts.history import (
    LeafletRecord,
    database_path,
    leaflet_history,
    now,
    record_leaflets,
)
from handouts.letter_log import claim_message
from handouts.web import create_app

PATIENTS = [
    "José García",
    "JOSÉ PÉREZ",
    "Anna Müller",
    "María José López",
    "Jo Sebastian",
    "王小明",
    "محمد علي",
]


def leaflet_for(patient: str) -> LeafletRecord:
    return LeafletRecord(
        created=now(),
        channel="build",
        treatments=["microneedling"],
        language="en",
        paper="a4",
        content_versions={"microneedling/aftercare": "1.0"},
        sha256="0" * 64,
        patient=patient,
    )


@pytest.fixture
def demo_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The demo clinic with its own history file holding one leaflet per patient."""
    monkeypatch.setenv("HANDOUTS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HANDOUTS_WEB_TOKEN", raising=False)
    clinic = load_clinic()
    record_leaflets(clinic, [leaflet_for(patient) for patient in PATIENTS])
    return clinic


def patients_found(search: str) -> set[str]:
    result = CliRunner().invoke(cli, ["history", "--patient", search, "--json"])
    assert result.exit_code == 0, result.output
    return {record["patient"] for record in json.loads(result.stdout)}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("jose", {"José García", "JOSÉ PÉREZ", "María José López"}),
        ("JOSÉ", {"José García", "JOSÉ PÉREZ", "María José López"}),
        ("muller", {"Anna Müller"}),
        ("MÜLLER", {"Anna Müller"}),
        ("maría jose", {"María José López"}),
        ("maria jose", {"María José López"}),
        ("王小明", {"王小明"}),
        ("小明", {"王小明"}),
        ("محمد", {"محمد علي"}),
        ("jo se", {"Jo Sebastian"}),
        ("nobody", set()),
    ],
)
def test_cli_history_search_ignores_case_and_accents(demo_history, search, expected):
    assert patients_found(search) == expected


def test_cli_history_search_names_the_search_when_nothing_matches(demo_history):
    result = CliRunner().invoke(cli, ["history", "--patient", "zoë"])
    assert result.exit_code == 0
    assert "No leaflets for 'zoë'." in result.output


def test_web_history_search_ignores_case_and_accents(demo_history, tmp_path):
    app = create_app(cache_dir=tmp_path / "cache", workers=1, prepare=False)
    try:
        page = app.test_client().get("/history?patient=jose").get_data(as_text=True)
    finally:
        app.extensions["handouts"].maker.close()
    for name in ("José García", "JOSÉ PÉREZ", "María José López"):
        assert name in page
    assert "Anna Müller" not in page and "王小明" not in page


OLD_SCHEMA = """
CREATE TABLE leaflets (
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
    output TEXT
);
CREATE TABLE messages (
    key TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    patient TEXT,
    subject TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed TEXT,
    sent TEXT
);
INSERT INTO messages (key, recipient, patient, subject, message_id, status, sent)
VALUES ('old-key', 'ana@example.com', 'Ana', 'aftercare', '<old@clinic>', 'sent',
        '2026-01-02T09:00:00+00:00');
"""


def message_columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[1] for row in connection.execute("PRAGMA table_info(messages)")]


def test_old_history_file_gets_kind_column_and_keeps_its_messages(clinic_kit):
    clinic = load_clinic(clinic_kit())
    path = database_path(clinic)
    with sqlite3.connect(path) as connection:
        connection.executescript(OLD_SCHEMA)
    assert "subject" in message_columns(path)

    assert claim_message(clinic, "old-key", "ana@example.com", "Ana", "aftercare", "<x>") is None
    new_id = claim_message(
        clinic, "new-key", "bo@example.com", "Bo", kind="precare", message_id="<new@clinic>"
    )

    assert new_id == "<new@clinic>"
    columns = message_columns(path)
    assert "kind" in columns and "subject" not in columns
    with sqlite3.connect(path) as connection:
        kinds = dict(connection.execute("SELECT key, kind FROM messages"))
    assert kinds == {"old-key": "aftercare", "new-key": "precare"}
    assert leaflet_history(clinic) == []  # the old leaflets table gained its new columns


def test_new_history_file_has_kind_column(clinic_kit):
    clinic = load_clinic(clinic_kit())
    claim_message(clinic, "key", "bo@example.com", None, "leaflet", "<id@clinic>")
    assert "kind" in message_columns(database_path(clinic))
