"""Commands that do not render answer at once: they never load WeasyPrint."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
