"""The wheel carries templates, content, styles and the demo clinic, and works from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("handouts-*.whl")
    return found


def test_wheel_contains_builtin_folders(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "handouts/templates/leaflet.html",
        "handouts/templates/partials/footer.html",
        "handouts/content/microneedling/treatment.yaml",
        "handouts/content/microneedling/aftercare.md",
        "handouts/styles/leaflet.css",
        "handouts/styles/fonts/OFL.txt",
        "handouts/styles/fonts/AtkinsonHyperlegible-Regular.ttf",
        "handouts/demo/clinic.yaml",
        "handouts/demo/logo.svg",
    ):
        assert required in names


def test_installed_wheel_builds_the_demo_from_an_empty_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    work = tmp_path / "empty"
    work.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import handouts, sys; assert handouts.__file__.startswith(sys.argv[1]), "
        "handouts.__file__; from handouts.cli import main; sys.argv[1:] = "
        "['build', 'microneedling']; main()"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=work,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert (work / "microneedling.pdf").stat().st_size > 10_000
