"""``handouts batch``: one personal leaflet per row of a booking system's appointments CSV.

Worker processes make the leaflets (``leaflet.make_leaflet``, stamping copies where that
is faithful) and hand back the bytes; this process alone writes files, atomically, so a
run stopped with Ctrl+C or SIGTERM stops every worker and leaves no half-written file.
A leaflet whose inputs have not changed since it was last written is left as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from .appointment_csv import AppointmentRow, RowProblem, read_appointments
from .atomic import save_file
from .config import Clinic, load_clinic
from .content import ContentLibrary
from .errors import HandoutsError
from .history import HistoryError, LeafletRecord, check_history, latest_input_keys, recorder
from .paths import display_path
from .workers import caught_notes, held_signals, start_worker, stop_workers

GROUP_SIZE = 16
"""Most rows a worker takes at a time."""


@dataclass
class BatchReport:
    """What a batch run made, skipped as up to date, and could not make."""

    made: list[Path] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    """Rows not made, and exact duplicates (``duplicate``), which were made once."""
    stamped: int = 0
    """Of the leaflets made, how many were stamped; the others were rendered in full."""
    notes: list[str] = field(default_factory=list)
    """Things to know, each said once: a missing translation, stamping turned off."""

    @property
    def failed(self) -> list[RowProblem]:
        return [problem for problem in self.problems if not problem.duplicate]


class Stopped(HandoutsError):
    """The run was stopped (Ctrl+C or SIGTERM); the leaflets finished so far are kept."""

    exit_code = 130


@dataclass(frozen=True)
class _Job:
    clinic_dir: Path | None
    row: AppointmentRow
    target: Path
    previous_key: str | None
    layout: str = "leaflet"
    large_print: bool = False


@dataclass(frozen=True)
class _Outcome:
    """A worker's answer for one row: its PDF to write, up to date, or a problem."""

    row: int
    target: Path
    pdf: bytes | None = None
    record: LeafletRecord | None = None
    problem: str | None = None
    stamped: bool = False
    notes: tuple[str, ...] = ()


@cache
def _clinic(clinic_dir: Path | None) -> Clinic:
    return load_clinic(clinic_dir)


def _start_batch_worker() -> None:
    """A worker stops with the command, and starts with no leaflet a parent made before."""
    from .leaflet import leaflet_maker

    start_worker()
    leaflet_maker.cache_clear()


def _run_group(jobs: list[_Job]) -> list[_Outcome]:
    """In a worker: make each leaflet of a group that is not up to date. Never raises."""
    try:
        return [_make(job) for job in jobs]
    except Exception as error:  # a row must never stop the others: try them one by one
        if len(jobs) > 1:
            return [outcome for job in jobs for outcome in _run_group([job])]
        job = jobs[0]
        return [_Outcome(job.row.row, job.target, problem=f"unexpected {type(error).__name__}")]


def _make(job: _Job) -> _Outcome:
    with caught_notes() as notes:
        outcome = _outcome(job)
    return replace(outcome, notes=tuple(notes))


def _outcome(job: _Job) -> _Outcome:
    from .leaflet import leaflet_maker

    request = job.row.request("batch", job.layout, job.large_print)
    try:
        planned = leaflet_maker().plan(request, _clinic(job.clinic_dir))
        if planned.input_key == job.previous_key and job.target.is_file():
            return _Outcome(job.row.row, job.target)
        leaflet = planned.render(job.target)
    except HandoutsError as error:
        return _Outcome(job.row.row, job.target, problem=error.message)
    return _Outcome(job.row.row, job.target, leaflet.pdf, leaflet.record, None, leaflet.stamped)


def _targets(rows: list[AppointmentRow], output_dir: Path) -> list[Path]:
    """Each row's file; two appointments that would share a name get -2, -3..."""
    taken: set[Path] = set()
    targets = []
    for row in rows:
        target, number = output_dir / row.file_name(), 1
        while target in taken:
            number += 1
            target = (output_dir / row.file_name()).with_stem(
                f"{Path(row.file_name()).stem}-{number}"
            )
        taken.add(target)
        targets.append(target)
    return targets


def run_batch(
    csv_path: Path,
    clinic_dir: Path | None = None,
    output_dir: Path = Path("leaflets"),
    jobs: int | None = None,
    progress: Callable[[Iterator, int], Iterator] | None = None,
    layout: str = "leaflet",
    large_print: bool = False,
) -> BatchReport:
    """Make a personal leaflet for every good row of ``csv_path`` into ``output_dir``.

    ``progress(results, count)`` may wrap the stream of finished rows, e.g. in a bar;
    ``layout`` and ``large_print`` apply to every row. Stopped with Ctrl+C or SIGTERM,
    it keeps (and records) what was finished and raises ``Stopped``.
    """
    clinic = load_clinic(clinic_dir)
    rows, problems = read_appointments(csv_path, ContentLibrary(clinic.kit_dir), clinic.font_path)
    report = BatchReport(problems=problems)
    check_history(clinic)  # a history that cannot record stops us before making anything
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HandoutsError(
            f"{display_path(output_dir)}: cannot create ({error.strerror})"
        ) from None
    targets = _targets(rows, output_dir)
    previous = latest_input_keys(clinic, [str(target.resolve()) for target in targets])
    work = [
        _Job(clinic_dir, row, target, previous.get(str(target.resolve())), layout, large_print)
        for row, target in zip(rows, targets, strict=True)
    ]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(work) or 1))
    # Rows go to workers in small groups: fewer round trips between the processes.
    size = max(1, min(GROUP_SIZE, len(work) // (workers * 4)))
    groups = [work[start : start + size] for start in range(0, len(work), size)]
    with recorder(clinic) as record:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_batch_worker)
        futures = [pool.submit(_run_group, group) for group in groups]
        outcomes = (outcome for future in futures for outcome in future.result())
        try:
            for outcome in progress(outcomes, len(work)) if progress else outcomes:
                with held_signals():  # a file written is a file recorded
                    _take(outcome, report, record)
        except KeyboardInterrupt:
            with held_signals(stop_after=False):
                _stop(pool)
            left = len(work) - len(report.made) - len(report.up_to_date)
            raise Stopped(
                f"stopped: {len(report.made)} leaflets made, {left} not made; run the same "
                "command again to make the rest"
            ) from None
        except BaseException:
            _stop(pool)
            raise
        with held_signals():
            pool.shutdown(wait=True)
    report.problems.sort(key=lambda problem: problem.row)
    return report


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the workers mid-leaflet, and let the pool mark what they never did."""
    stop_workers(pool)
    pool.shutdown(wait=True)  # no cancelling here: Python 3.11's pool thread would trip on it


def _take(outcome: _Outcome, report: BatchReport, record: Callable[[LeafletRecord], None]) -> None:
    """Write a finished row's leaflet (in this process, atomically), record it and count it."""
    report.notes.extend(note for note in outcome.notes if note not in report.notes)
    if outcome.problem:
        report.problems.append(RowProblem(outcome.row, outcome.problem))
    elif outcome.pdf is None:
        report.up_to_date.append(outcome.target)
    else:
        try:
            save_file(outcome.target, outcome.pdf)
        except HandoutsError as error:
            report.problems.append(RowProblem(outcome.row, error.message))
            return
        try:
            record(outcome.record)
        except HistoryError as error:
            raise HistoryError(
                f"{display_path(outcome.target)} was written, but it is not in the history: "
                f"{error.message}; the batch stopped there"
            ) from None
        report.made.append(outcome.target)
        report.stamped += outcome.stamped
