"""The command line: thin over the library, one clear line per error, right exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner
from conftest import block_file
from pdfcheck import PAPER_MM, page_size_mm, text

from handouts.cli import cli
from handouts.content import ContentLibrary


def run(*args: str) -> subprocess.CompletedProcess:
    """Run the real ``handouts`` entry point, as a clinic user would."""
    return subprocess.run(
        [sys.executable, "-m", "handouts", *args], capture_output=True, text=True, check=False
    )


def test_build_writes_treatment_pdf_in_current_folder(in_tmp):
    result = CliRunner().invoke(cli, ["build", "microneedling"])
    assert result.exit_code == 0, result.output
    assert result.output == "Wrote microneedling.pdf (2 pages, A4)\n"
    assert "Microneedling" in text(in_tmp / "microneedling.pdf")


def test_build_output_and_paper_options(in_tmp):
    result = CliRunner().invoke(
        cli, ["build", "microneedling", "-o", "out/leaflet.pdf", "--paper", "letter"]
    )
    assert result.exit_code == 0, result.output
    assert page_size_mm(in_tmp / "out" / "leaflet.pdf") == PAPER_MM["letter"]


def test_build_html(in_tmp):
    result = CliRunner().invoke(cli, ["build", "microneedling", "--html"])
    assert result.exit_code == 0
    assert (in_tmp / "microneedling.html").read_text().startswith("<!doctype html>")


def test_unknown_treatment_is_one_line_listing_what_exists(in_tmp):
    completed = run("build", "no-such-thing")
    assert completed.returncode == 1
    available = ", ".join(ContentLibrary().slugs())
    assert completed.stderr == (
        f"Error: unknown treatment 'no-such-thing'; available: {available}\n"
    )
    assert not list(in_tmp.iterdir())


def test_usage_error_exits_2():
    completed = run("build")
    assert completed.returncode == 2
    assert "Missing argument 'TREATMENTS...'" in completed.stderr


def test_config_error_has_no_traceback_unless_debug(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\ncolors: {primary: nope}\n"})
    completed = run("build", "microneedling", "--clinic", str(kit))
    assert completed.returncode == 1
    assert completed.stderr == (
        "Error: kit/clinic.yaml: colors.primary: 'nope' is not a hex "
        "colour (write it like '#1f6f78')\n"
    )
    debug = run("--debug", "build", "microneedling", "--clinic", str(kit))
    assert "Traceback" in debug.stderr


def test_unknown_key_warning_is_shown_but_build_succeeds(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nfax: '2'\n"})
    completed = run("build", "microneedling", "--clinic", str(kit), "--html")
    assert completed.returncode == 0
    assert "Warning: kit/clinic.yaml: fax: unknown key, ignored" in completed.stderr


def test_list_text_and_json(clinic_kit):
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 0
    rows = result.output.splitlines()
    assert len(rows) == len(ContentLibrary().slugs())
    assert any(
        row.startswith("microneedling") and " Microneedling (en, ar, es): " in row for row in rows
    )
    kit = clinic_kit(
        {
            "content/peel/treatment.yaml": "title: Peel\nsummary: A peel.\nblocks: [about]\n",
            "content/peel/about.md": block_file("About peels."),
            "content/peel/about.es.md": block_file("Sobre peelings."),
        }
    )
    rows = json.loads(CliRunner().invoke(cli, ["list", "--clinic", str(kit), "--json"]).output)
    names = [row["name"] for row in rows]
    assert names == sorted([*ContentLibrary().slugs(), "peel"])
    assert rows[names.index("peel")] == {
        "name": "peel",
        "title": "Peel",
        "summary": "A peel.",
        "languages": ["en", "es"],
        "blocks": ["about"],
    }


def test_failed_build_leaves_existing_file_untouched(clinic_kit, in_tmp):
    (in_tmp / "microneedling.pdf").write_bytes(b"old leaflet")
    kit = clinic_kit({"styles/extra.css": "@import url('file:///etc/hostname');"}, base="demo")
    result = CliRunner().invoke(cli, ["build", "microneedling", "--clinic", str(kit)])
    assert result.exit_code == 1
    assert (in_tmp / "microneedling.pdf").read_bytes() == b"old leaflet"
    assert sorted(path.name for path in in_tmp.iterdir()) == ["kit", "microneedling.pdf"]


def test_unwritable_output_is_one_line(in_tmp):
    (in_tmp / "file").write_text("x")
    completed = run("build", "microneedling", "-o", "file/leaflet.pdf")
    assert completed.returncode == 1
    assert completed.stderr.startswith("Error: file/leaflet.pdf: cannot write the file (")
    assert completed.stderr.count("\n") == 1


def test_unknown_key_warning_is_shown_once(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nfax: '2'\n"})
    completed = run("build", "microneedling", "--clinic", str(kit))
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.count("fax: unknown key") == 1


def test_unknown_placeholder_is_one_line_naming_file_and_line(clinic_kit, in_tmp):
    kit = clinic_kit({"content/microneedling/risks.md": block_file("Ring us.\n\n{{ clinic.fax }}")})
    completed = run("build", "microneedling", "--clinic", str(kit))
    assert completed.returncode == 1
    assert completed.stderr == (
        "Error: kit/content/microneedling/risks.md: line 12: unknown placeholder "
        "{{ clinic.fax }}; use one of {{ clinic.name }}, {{ clinic.phone }}, {{ clinic.email }}, "
        "{{ clinic.website }}, {{ clinic.booking_url }}, {{ clinic.emergency }}, "
        "{{ clinic.address }}, {{ clinic.minimum_age }}\n"
    )


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    """Every command under ``group`` with the words that run it, subgroups included."""
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_help_is_plain_and_describes_every_option_and_argument():
    for path, command in _commands(cli):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "%" not in result.output, (path, result.output)
        for param in command.get_params(click.Context(command)):
            if isinstance(param, click.Option):
                assert param.help and param.help.strip(), (path, param.opts)
            else:
                assert param.human_readable_name in (command.help or ""), (path, param.name)
