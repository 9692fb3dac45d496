"""The leaflet history: searching patients by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli import cli
from handouts.config import load_clinic
from handouts.history import (
    LeafletRecord,
    now,
    record_leaflets,
)
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
    app = create_app(cache_dir=tmp_path / "cache", workers=1)
    try:
        page = app.test_client().get("/history?patient=jose").get_data(as_text=True)
    finally:
        app.extensions["handouts"].maker.close()
    for name in ("José García", "JOSÉ PÉREZ", "María José López"):
        assert name in page
    assert "Anna Müller" not in page and "王小明" not in page
