"""Shared fixtures: small clinic kits on disk and the demo leaflet rendered once."""

from __future__ import annotations

import logging
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from smtp_server import certificate, mail_kit  # noqa: F401  (fixtures for email and web tests)

from handouts.paths import DEMO_CLINIC_DIR

MINIMAL_CLINIC = """\
name: Test Clinic
phone: 01632 960 001
"""


@pytest.fixture
def clinic_kit(tmp_path: Path) -> Callable[..., Path]:
    """Write a clinic kit: ``clinic_kit(files={"clinic.yaml": "...", "content/x.md": "..."})``.

    ``base="demo"`` starts from a copy of the demo clinic (logo, colours, approvals).
    """

    def make(
        files: dict[str, str | bytes] | None = None, base: str | None = None, name: str = "kit"
    ) -> Path:
        kit = tmp_path / name
        if base == "demo":
            shutil.copytree(DEMO_CLINIC_DIR, kit)
        elif base is not None:
            raise ValueError(f"base={base!r}: the only base kit is 'demo'")
        else:
            kit.mkdir()
            (kit / "clinic.yaml").write_text(MINIMAL_CLINIC, encoding="utf-8")
        for relative, data in (files or {}).items():
            path = kit / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(textwrap.dedent(data), encoding="utf-8")
        return kit

    return make


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from an empty temporary folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def weasyprint_log() -> list[logging.LogRecord]:
    """WeasyPrint warnings and errors logged during the test (expect none)."""
    handler = _Records()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


@pytest.fixture(scope="session")
def demo_leaflet(tmp_path_factory: pytest.TempPathFactory, private_history):
    """The demo microneedling leaflet, built once, with any WeasyPrint log records."""
    from handouts import build_handout

    handler = _Records()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        result = build_handout(
            ["microneedling"], output=tmp_path_factory.mktemp("demo") / "microneedling.pdf"
        )
    finally:
        logger.removeHandler(handler)
    return result, handler.records


BLOCK = """\
---
title: {title}
version: "{version}"
reviewed: 2026-10-01
review_due: 2027-10-01
sources:
  - title: Test source
    publisher: Test publisher
---
{body}
"""


def block_file(body: str, title: str = "Test block", version: str = "1.0") -> str:
    """A content block with valid front matter."""
    return BLOCK.format(title=title, version=version, body=body)


@pytest.fixture(scope="session", autouse=True)
def private_history(tmp_path_factory: pytest.TempPathFactory):
    """Keep the demo clinic's history out of the real user's data folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HANDOUTS_HOME", str(tmp_path_factory.mktemp("home")))
        yield
