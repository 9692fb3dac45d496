"""Shared fixtures: small clinic kits on disk and the demo leaflet rendered once."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from manage_support import fresh_kit, make_client, make_manager  # noqa: F401  (workspace tests)
from smtp_server import certificate, free_port, mail_kit  # noqa: F401  (fixtures for email and web tests)

from handouts.paths import DEMO_CLINIC_DIR

CHROMIUM = os.environ.get("HANDOUTS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

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


@pytest.fixture(scope="module")
def browser():
    """Real headless Chromium (Debian's, or ``$HANDOUTS_CHROMIUM``) for the browser tests."""
    assert Path(CHROMIUM).exists(), (
        f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
        "(apt-get install chromium) or set HANDOUTS_CHROMIUM"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A desktop-sized page that fails the test on any script error or blocked resource."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True
    )
    page = context.new_page()
    # A leaflet made while the server's workers still prepare the kit's twenty leaflets for
    # stamping, on a two-core machine busy with the proof tests, can take longer than
    # Playwright's 30 s: give clicks (which wait for the page they open) and navigations
    # room. A liveness bound: nothing is timed here.
    page.set_default_timeout(120_000)
    page.set_default_navigation_timeout(120_000)
    problems: list[str] = []
    expected = "the server responded with a status of 400"  # a form sent back to be fixed

    def console(message) -> None:
        if message.type == "error" and expected not in message.text:
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == []  # no script errors, no blocked resources


@contextlib.contextmanager
def handouts_serve(*args: str, env: dict[str, str]) -> Iterator[str]:
    """`handouts serve ARGS` on a free port, as a clinic would start it; yields its address."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "handouts", "serve", *args, "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"handouts serve did not start: {process.stdout.read()}")
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
