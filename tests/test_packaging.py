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


def test_every_library_the_code_imports_is_a_runtime_dependency():
    """`pip install .` alone must run every command: nothing imported only from test extras."""
    import ast
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {
        normal(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]) for spec in project["dependencies"]
    }
    imported: set[str] = set()
    for path in (ROOT / "src" / "handouts").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"handouts", "__future__"}
    owners = packages_distributions()
    undeclared = {
        module: owners.get(module)
        for module in sorted(third_party)
        if not {normal(dist) for dist in owners.get(module, [module])} & declared
    }
    assert undeclared == {}
