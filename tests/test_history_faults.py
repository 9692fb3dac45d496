"""A history file that cannot be used: one clear line naming it, nothing made unrecorded.

Real SQLite files made damaged, truncated, empty, locked, read-only or a folder; the
commands are the real ones. A file that is there is never replaced.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts import history_file
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.history import database_path, leaflet_history

HEADER = "patient_name,email,treatment,date,time,practitioner,language"
ROWS = [
    "Amira Haddad,amira@example.com,microneedling,2026-12-03,10:30,Dr O'Neill,",
    "Bo Chen,bo@example.com,microneedling,2026-12-04,11:00,Dr O'Neill,",
    "Cleo Diaz,cleo@example.com,microneedling,2026-12-05,12:00,Dr O'Neill,",
]


@pytest.fixture
def kit(clinic_kit, in_tmp) -> Path:
    """The demo clinic copied, with a history holding one leaflet built before."""
    kit = clinic_kit(base="demo")
    made = CliRunner().invoke(cli, ["build", "microneedling", "--clinic", str(kit), "-o", "x.pdf"])
    assert made.exit_code == 0, made.output
    (in_tmp / "x.pdf").unlink()
    (in_tmp / "appointments.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return kit


def history_of(kit: Path) -> Path:
    return database_path(load_clinic(kit))


def damage(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"not a page " * 400 + data[4500:])


def overwrite_the_middle(path: Path) -> None:
    """Junk over pages in the middle: SQLite's check answers over several lines."""
    with sqlite3.connect(path) as connection:  # a history of some size first
        for _ in range(8):
            connection.execute(
                "INSERT INTO leaflets (created, channel, treatments, language, paper, "
                "content_versions, sha256, output) SELECT created, channel, treatments, "
                "language, paper, content_versions, sha256, output || id FROM leaflets"
            )
    connection.close()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle - 1024 : middle + 1024] = b"\xa5" * 2048
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def not_a_database(path: Path) -> None:
    path.write_text("hello, this is not SQLite\n")


def empty(path: Path) -> None:
    path.write_bytes(b"")


def a_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


FAULTS = {
    "damaged": (damage, "the history file is damaged"),
    "truncated": (truncate, "the history file is damaged"),
    "overwritten": (overwrite_the_middle, "the history file is damaged"),
    "not-sqlite": (not_a_database, "the history file is damaged (file is not a database)"),
    "empty": (empty, "the history file is empty (0 bytes), so its records were lost"),
    "folder": (a_folder, "is a folder, not the history file"),
}

COMMANDS = {
    "build": ["build", "microneedling", "-o", "new.pdf"],
    "batch": ["batch", "appointments.csv", "-o", "out", "--jobs", "1"],
    "email": ["email", "appointments.csv", "--outbox", "outbox"],
    "history": ["history"],
}


def snapshot(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def assert_one_line(output: str, *expected: str) -> None:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert "unexpected" not in output and "Traceback" not in output, output
    for words in expected:
        assert words in lines[0], output


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("fault", FAULTS)
def test_an_unusable_history_stops_every_command_before_it_makes_anything(
    kit, in_tmp, fault, command
):
    path = history_of(kit)
    spoil, words = FAULTS[fault]
    spoil(path)
    before = snapshot(path)

    result = CliRunner().invoke(cli, [*COMMANDS[command], "--clinic", str(kit)])

    assert result.exit_code == 1, result.output
    assert_one_line(result.output, f"Error: {path.relative_to(in_tmp)}: ", words)
    # Nothing was made that the history could not record, and the file is as it was.
    assert not (in_tmp / "new.pdf").exists()
    assert not list(in_tmp.glob("out/*.pdf"))
    assert not list(in_tmp.glob("outbox/*"))
    assert snapshot(path) == before
    assert path.is_dir() == (fault == "folder")


def test_a_locked_history_is_named_and_nothing_is_written(kit, in_tmp, monkeypatch):
    monkeypatch.setattr(history_file, "LOCK_WAIT_SECONDS", 1)
    other = sqlite3.connect(history_of(kit), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program in the middle of a write
    try:
        result = CliRunner().invoke(
            cli, ["build", "microneedling", "--clinic", str(kit), "-o", "new.pdf"]
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 1
    assert_one_line(
        result.output, "kit/handouts-history.sqlite: ", "busy in another program", "run again"
    )
    assert not (in_tmp / "new.pdf").exists()


def test_build_says_when_the_leaflet_was_written_but_not_recorded(kit, in_tmp):
    """SQLite refuses the record after the checks passed (here: a trigger saying the
    disk is full): the leaflet is there, and the user is told it is not in the history."""
    with sqlite3.connect(history_of(kit)) as connection:
        connection.execute(
            "CREATE TRIGGER full BEFORE INSERT ON leaflets "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    result = CliRunner().invoke(
        cli, ["build", "microneedling", "--clinic", str(kit), "-o", "a.pdf"]
    )
    assert result.exit_code == 1
    assert_one_line(
        result.output, "a.pdf was written, but it is not in the history: ", "the disk is full"
    )
    assert (in_tmp / "a.pdf").stat().st_size > 10_000
    assert len(leaflet_history(load_clinic(kit))) == 1  # only the one built before


def test_batch_stops_at_the_first_leaflet_it_cannot_record(kit, in_tmp):
    with sqlite3.connect(history_of(kit)) as connection:
        connection.execute(
            "CREATE TRIGGER full BEFORE INSERT ON leaflets WHEN "
            "(SELECT count(*) FROM leaflets) >= 2 "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    result = CliRunner().invoke(
        cli, ["batch", "appointments.csv", "-o", "out", "--jobs", "1", "--clinic", str(kit)]
    )
    assert result.exit_code == 1
    assert "was written, but it is not in the history" in result.output
    assert "the batch stopped there" in result.output
    records = leaflet_history(load_clinic(kit))
    recorded = {record.output for record in records if record.channel == "batch"}
    on_disk = {str(path.resolve()) for path in (in_tmp / "out").glob("*.pdf")}
    assert len(recorded) == 1 and recorded < on_disk and len(on_disk) == 2


def test_a_new_history_never_appears_as_an_empty_file(kit, in_tmp):
    """The file is made whole (tables and all) and then put in place."""
    path = history_of(kit)
    path.unlink()
    result = CliRunner().invoke(cli, ["history", "--clinic", str(kit)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in kit.iterdir() if p.name.startswith(".handouts-history")] == []


def without_root_powers() -> list[str]:
    """As root, drop the powers that let root write any file; otherwise nothing to drop."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root needs setpriv (util-linux) to test a read-only history")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def test_a_read_only_history_stops_build_before_it_writes(clinic_kit, tmp_path):
    """A real process that may not write the history file: refused up front, by name."""
    kit = clinic_kit(base="demo")
    env = {**os.environ, "HANDOUTS_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "handouts"]
    made = subprocess.run([*command, "history", "--clinic", "kit"], env=env, cwd=tmp_path)
    assert made.returncode == 0
    path = kit / "handouts-history.sqlite"
    path.chmod(0o444)
    result = subprocess.run(
        [*without_root_powers(), *command, "build", "microneedling", "--clinic", "kit"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert_one_line(result.stderr, "kit/handouts-history.sqlite: ", "the history file is read-only")
    assert not (tmp_path / "microneedling.pdf").exists()
