"""`handouts batch` stopped by real signals: workers go, no half-written file, history true.

Each test runs the real command in its own session and signals it as a service manager
(SIGTERM), a terminal (Ctrl+C: SIGINT to the whole process group) or ``kill -9`` would.
No mocks: the processes, the files and the history are the real ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")

HEADER = "patient_name,email,treatment,date,time,practitioner,language"
ROWS = 60
FIRST_NAMES = [
    "Amira",
    "Lucas",
    "Maya",
    "Tomasz",
    "Ines",
    "Kwame",
    "Freya",
    "Rohan",
    "Sofia",
    "Ewan",
]
LAST_NAMES = ["Haddad", "Moreau", "Okafor", "Nowak", "Silva", "Mensah"]
TEMP_NAME = re.compile(r"^\.(?P<target>.+\.pdf)\.[^.]+\.tmp$")
"""What ``handouts.atomic.write_atomically`` calls its temporary file: .<target>.<random>.tmp"""


@pytest.fixture(scope="module")
def appointments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 appointments, each for a different patient, so each row is its own file."""
    lines = [HEADER]
    for number in range(ROWS):
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[number // len(FIRST_NAMES)]
        lines.append(f"{first} {last},,microneedling,2026-12-03,10:30,Dr Ruiz,")
    path = tmp_path_factory.mktemp("signals") / "appointments.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Run:
    """One ``handouts batch`` process, its folders and its worker processes."""

    process: subprocess.Popen
    output: Path
    env: dict[str, str]
    children: list[psutil.Process]

    @property
    def workers(self) -> list[int]:
        return [child.pid for child in self.children]


def environment(home: Path) -> dict[str, str]:
    env = dict(os.environ, HANDOUTS_HOME=str(home), PYTHONUNBUFFERED="1")
    env.pop("HANDOUTS_WEB_TOKEN", None)
    return env


def batch_command(appointments: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "handouts",
        "batch",
        str(appointments),
        "-o",
        str(output),
        "--jobs",
        "2",
    ]


def start_batch(appointments: Path, tmp_path: Path) -> Run:
    """Start the batch in a new session and return once it has written at least 2 PDFs."""
    output, env = tmp_path / "leaflets", environment(tmp_path / "home")
    process = subprocess.Popen(
        batch_command(appointments, output),
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    run = Run(process, output, env, [])
    try:
        deadline = time.monotonic() + 90
        while len(pdfs(output)) < 2:
            if process.poll() is not None:
                out, err = process.communicate()
                pytest.fail(
                    f"batch ended (code {process.returncode}) before 2 PDFs: {out!r} {err!r}"
                )
            if time.monotonic() > deadline:
                pytest.fail("no 2 PDFs within 90 s")
            time.sleep(0.02)
        run.children = psutil.Process(process.pid).children(recursive=True)
    except BaseException:
        kill_everything(run)  # the caller never gets the run to clean up
        raise
    return run


def pdfs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir() if path.suffix == ".pdf" and not path.name.startswith(".")
    )


def gone(pid: int) -> bool:
    """The process has ended: no such PID, or a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    """The PIDs still running after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        alive = [pid for pid in pids if not gone(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def kill_everything(run: Run | None) -> None:
    """Whatever happened in the test, leave no process of it behind."""
    if run is None:
        return
    if run.process.poll() is None:
        run.process.kill()
    for child in run.children:  # psutil checks it is still the same process, not a reused PID
        with contextlib.suppress(psutil.Error):
            child.kill()
    with contextlib.suppress(subprocess.TimeoutExpired, ValueError):
        run.process.communicate(timeout=10)


def history(env: dict[str, str], cwd: Path) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "handouts", "history", "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_whole_leaflets(folder: Path) -> list[Path]:
    """Every PDF in ``folder`` opens and has its 2 pages; return them."""
    made = pdfs(folder)
    for path in made:
        assert len(PdfReader(path, strict=True).pages) == 2, path.name
    return made


def assert_history_is(env: dict[str, str], cwd: Path, made: list[Path]) -> None:
    """The history lists each PDF that exists, once, with the bytes on disk; nothing else."""
    records = history(env, cwd)
    outputs = [record["output"] for record in records]
    assert sorted(outputs) == sorted(str(path.resolve()) for path in made)
    for record in records:
        data = Path(record["output"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == record["sha256"], record["output"]


def stop_and_check(run: Run, send) -> tuple[list[Path], str]:
    """Signal the run with ``send(process)`` and check that it stopped cleanly.

    Returns the PDFs it made and its stderr."""
    process = run.process
    assert len(run.workers) == 2, f"expected 2 workers, saw {run.workers}"
    send(process)
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("batch still running 20 s after the signal")
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 130, (process.returncode, stdout, stderr)
    stopped = re.search(
        r"stopped: (\d+) leaflets made, (\d+) not made; run the same command "
        r"again to make the rest",
        stderr,
    )
    assert stopped, stderr

    assert wait_gone(run.workers, 5) == [], "workers still running after the batch stopped"

    entries = sorted(path.name for path in run.output.iterdir())
    made = assert_whole_leaflets(run.output)
    assert entries == [path.name for path in made], f"not only finished PDFs: {entries}"
    assert 2 <= len(made) < ROWS, f"{len(made)} PDFs: the run did not stop early"
    assert (int(stopped[1]), int(stopped[2])) == (len(made), ROWS - len(made)), stderr
    assert_history_is(run.env, run.output.parent, made)
    return made, stderr


def assert_one_clear_line(stderr: str) -> None:
    """The stop is told in one line, as every error is; no Python traceback from a thread."""
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines() == [stderr.strip().splitlines()[-1]], stderr
    assert stderr.strip().startswith("Error: stopped: "), stderr


def sigterm_to_batch(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)


def ctrl_c(process: subprocess.Popen) -> None:
    os.killpg(os.getpgid(process.pid), signal.SIGINT)


@contextlib.contextmanager
def running_batch(appointments, tmp_path):
    """A batch run under way; whatever happens, nothing of it is left running after."""
    run = None
    try:
        run = start_batch(appointments, tmp_path)
        yield run
    finally:
        kill_everything(run)


@pytest.mark.parametrize("send", [sigterm_to_batch, ctrl_c], ids=["sigterm", "ctrl-c"])
def test_a_stop_ends_every_worker_keeps_finished_leaflets_in_one_line(appointments, tmp_path, send):
    """SIGTERM to the command, or Ctrl+C to its process group: the workers go, finished
    leaflets stay whole and recorded, and stderr holds one clear line (no traceback from
    the executor's manager thread)."""
    with running_batch(appointments, tmp_path) as run:
        _, stderr = stop_and_check(run, send)
        assert_one_clear_line(stderr)


def test_running_again_after_a_stop_makes_the_rest(appointments, tmp_path):
    with running_batch(appointments, tmp_path) as run:
        before, _ = stop_and_check(run, sigterm_to_batch)
        again = subprocess.run(
            batch_command(appointments, run.output),
            cwd=tmp_path,
            env=run.env,
            capture_output=True,
            text=True,
            timeout=180,
            start_new_session=True,
        )
        assert again.returncode == 0, (again.stdout, again.stderr)
        assert f"Made {ROWS - len(before)} leaflets in " in again.stdout, again.stdout
        assert f"{len(before)} already up to date" in again.stdout, again.stdout
        made = assert_whole_leaflets(run.output)
        assert len(made) == ROWS
        assert sorted(path.name for path in run.output.iterdir()) == [p.name for p in made]
        assert_history_is(run.env, tmp_path, made)


def test_workers_exit_by_themselves_when_the_batch_is_killed(appointments, tmp_path):
    run = None
    try:
        run = start_batch(appointments, tmp_path)
        assert len(run.workers) == 2, f"expected 2 workers, saw {run.workers}"
        run.process.send_signal(signal.SIGKILL)
        run.process.communicate(timeout=10)
        assert run.process.returncode == -signal.SIGKILL

        assert wait_gone(run.workers, 10) == [], "workers outlived their killed parent"
        # Once they are gone nothing more may appear; look twice to be sure.
        first = sorted(path.name for path in run.output.iterdir())
        time.sleep(0.5)
        entries = sorted(path.name for path in run.output.iterdir())
        assert entries == first

        made = assert_whole_leaflets(run.output)
        assert len(made) < ROWS
        # Only the parent writes files: killed mid-write, it may leave its one temporary
        # file (".<name>.pdf.<random>.tmp"); the workers leave none.
        # In practice it usually does: the parent spends most of its time in fsync.
        leftovers = sorted(set(entries) - {path.name for path in made})
        assert len(leftovers) <= 1, leftovers
        for name in leftovers:
            match = TEMP_NAME.match(name)
            assert match, leftovers
            assert match["target"].endswith(".pdf") and match["target"] not in entries, name
        # Each leaflet is recorded as soon as it is written: every record names a file on
        # disk with those bytes, and at most the one file being recorded when the kill
        # came has no record yet (the next run makes it again).
        records = history(run.env, run.output.parent)
        recorded = {record["output"] for record in records}
        on_disk = {str(path.resolve()) for path in made}
        assert recorded <= on_disk, recorded - on_disk
        assert len(on_disk - recorded) <= 1, on_disk - recorded
        assert len(records) == len(recorded), "a leaflet recorded twice"
        for record in records:
            data = Path(record["output"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == record["sha256"], record["output"]
    finally:
        kill_everything(run)
