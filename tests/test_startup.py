"""Commands that do not render answer at once: they never load WeasyPrint."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import block_file

PROBE = """
import sys
from handouts.cli import cli
try:
    cli.main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
heavy = sorted(name for name in ("weasyprint", "pydyf", "fontTools.subset") if name in sys.modules)
print("LOADED:" + ",".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "arguments",
    [["list"], ["list", "--json"], ["check"], ["history"], ["--help"], ["build", "--help"]],
)
def test_commands_that_do_not_render_never_load_weasyprint(arguments, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "LOADED:\n" in result.stderr, result.stderr


def test_init_never_loads_weasyprint(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "init", str(tmp_path / "kit")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (tmp_path / "kit" / "clinic.yaml").is_file()
    assert "LOADED:\n" in result.stderr, result.stderr


LIST_PROBE = """
import sys
from handouts.cli import cli
try:
    cli.main(["list", *sys.argv[1:]], standalone_mode=False)
except SystemExit:
    pass
print("PYDANTIC:" + str("pydantic" in sys.modules), file=sys.stderr)
"""


def test_list_remembers_the_library_and_sees_edits_at_once(clinic_kit, tmp_path):
    kit = clinic_kit(
        {
            "content/peel/treatment.yaml": "title: Peel\nsummary: A peel.\nblocks: [about]\n",
            "content/peel/about.md": block_file("About peels."),
        }
    )

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", LIST_PROBE, "--clinic", str(kit)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HANDOUTS_HOME": str(tmp_path / "home")},
        )

    first, second = run(), run()
    assert " Peel (en): A peel." in first.stdout
    assert first.stdout == second.stdout
    assert "PYDANTIC:True" in first.stderr  # read and validated once
    assert "PYDANTIC:False" in second.stderr  # then answered from what was remembered
    (kit / "content/peel/treatment.yaml").write_text(
        "title: Gentle peel\nsummary: A peel.\nblocks: [about]\n"
    )
    assert " Gentle peel (en): A peel." in run().stdout
    (kit / "clinic.yaml").write_text("name: Test Clinic\n")  # now broken: no phone
    broken = run()
    assert "clinic.yaml: phone: is required" in broken.stderr
