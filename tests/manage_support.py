"""What the manager workspace's tests share: the code, a kit from `handouts init`, test
clients of the web app signed in or not, and the CSRF token of a page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli import cli
from handouts.web import create_app

MANAGER_CODE = "purple manager lamp seventeen"


def run(*args: str) -> str:
    """``handouts ARGS`` in this process; its output (the command must succeed)."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def fresh_kit(tmp_path: Path) -> Path:
    """A kit just made by `handouts init`."""
    run("init", str(tmp_path / "kit"))
    return tmp_path / "kit"


@pytest.fixture
def make_client(tmp_path, monkeypatch):
    """``make_client(kit, **create_app_options)``: a test client; its workers are closed after."""
    monkeypatch.delenv("HANDOUTS_MANAGER_CODE", raising=False)
    monkeypatch.delenv("HANDOUTS_WEB_TOKEN", raising=False)
    apps = []

    def make(kit_dir, **options):
        app = create_app(kit_dir, cache_dir=tmp_path / "cache", prepare=False, **options)
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["handouts"].maker.close()


@pytest.fixture
def make_manager(make_client):
    """``make_manager(kit)``: a test client signed in to the workspace of ``kit``."""

    def make(kit_dir):
        client = make_client(kit_dir, manager_code=MANAGER_CODE)
        assert sign_in(client).status_code == 303
        return client

    return make


def csrf_token(client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, code: str = MANAGER_CODE, next_page: str = "/manage/content"):
    token = csrf_token(client, "/manage/login")
    return client.post(
        "/manage/login", data={"csrf_token": token, "token": code, "next": next_page}
    )
