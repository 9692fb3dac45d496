"""``handouts batch``: one personal leaflet per row of a booking system's appointments CSV.

A bad row is reported with its row number and skipped; every good row is still made.
Rendering runs in worker processes, which stamp each copy's panel onto a leaflet they
render once (see ``stamping``); a leaflet whose inputs have not changed since it was last
written is left as it is.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

from .appointments import Appointment, leaflet_file_name
from .config import EMAIL, Clinic, check_language, load_clinic
from .content import ContentLibrary
from .errors import HandoutsError
from .history import LeafletRecord, latest_input_keys, record_leaflets
from .paths import display_path

GROUP_SIZE = 16
"""Most rows a worker takes at a time."""
COLUMNS = ("patient_name", "email", "treatment", "date", "time", "practitioner", "language")
REQUIRED_COLUMNS = ("patient_name", "treatment")


@dataclass(frozen=True)
class AppointmentRow:
    """One good row of the CSV."""

    row: int
    """Row number as a spreadsheet shows it (the header is row 1)."""
    treatments: tuple[str, ...]
    appointment: Appointment
    email: str | None
    language: str | None

    def file_name(self) -> str:
        """``<date>_<patient>_<treatments>.pdf``, with only letters, digits, - and _."""
        return leaflet_file_name(self.treatments, self.appointment)


@dataclass(frozen=True)
class RowProblem:
    """A row that was skipped, and why."""

    row: int
    reason: str


@dataclass
class BatchReport:
    """What a batch run made, skipped as up to date, and could not make."""

    made: list[Path] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise HandoutsError(f"{display_path(path)}: cannot read ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HandoutsError(
            f"{display_path(path)}: not UTF-8 text; export the CSV as "
            "UTF-8 from your booking system"
        ) from None


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"date {value!r} is not YYYY-MM-DD") from None


def _parse_time(value: str) -> time:
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise ValueError(f"time {value!r} is not HH:MM") from None


def read_appointments(
    path: Path, library: ContentLibrary, extra_font: Path | None = None
) -> tuple[list[AppointmentRow], list[RowProblem]]:
    """Read an appointments CSV: UTF-8 with or without BOM, ``,`` or ``;``, any line endings.

    ``extra_font`` is the clinic's own font, which may cover more letters in names.
    """
    text = _decode(path)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise HandoutsError(f"{display_path(path)}: the file is empty")
    names = [name.strip().strip('"').strip().lower().replace(" ", "_") for name in header]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise HandoutsError(
            f"{display_path(path)}: the header has {', '.join(repeated)} more "
            "than once; keep one column of each"
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise HandoutsError(
            f"{display_path(path)}: no {', '.join(missing)} column; the header row needs "
            f"{', '.join(COLUMNS)}"
        )
    known = set(library.slugs())
    rows: list[AppointmentRow] = []
    problems: list[RowProblem] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            try:
                if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
                    raise ValueError(
                        f"{len(cells)} cells but the header has {len(names)}; "
                        "check the separators in this row"
                    )
                values = {name: cell.strip() for name, cell in zip(names, cells, strict=False)}
                if any("\n" in values.get(name, "") for name in COLUMNS):
                    raise ValueError("a cell runs over several lines; is a quote mark missing?")
                rows.append(_read_row(number, values, known, extra_font))
            except (ValueError, HandoutsError) as error:
                reason = error.message if isinstance(error, HandoutsError) else str(error)
                problems.append(RowProblem(number, reason))
    except csv.Error as error:
        raise HandoutsError(
            f"{display_path(path)}: line {reader.line_num}: cannot read the "
            f"CSV ({error}); is a quote mark missing?"
        ) from None
    return rows, problems


def _read_row(
    number: int, values: dict[str, str], known: set[str], extra_font: Path | None
) -> AppointmentRow:
    if not values.get("patient_name"):
        raise ValueError("no patient_name")
    treatments = tuple(
        name.strip().lower() for name in values.get("treatment", "").split(";") if name.strip()
    )
    if not treatments:
        raise ValueError("no treatment")
    unknown = [name for name in treatments if name not in known]
    if unknown:
        raise ValueError(f"unknown treatment {unknown[0]!r}; available: {', '.join(sorted(known))}")
    email = values.get("email") or None
    if email and not EMAIL.fullmatch(email):
        raise ValueError(f"email {email!r} is not an email address")
    language = values.get("language") or None
    if language:
        check_language(language)
    appointment = Appointment(
        patient=values["patient_name"],
        date=_parse_date(values["date"]) if values.get("date") else None,
        time=_parse_time(values["time"]) if values.get("time") else None,
        practitioner=values.get("practitioner") or None,
    ).checked(extra_font)
    return AppointmentRow(number, treatments, appointment, email, language)


@dataclass(frozen=True)
class _Job:
    clinic_dir: Path | None
    row: AppointmentRow
    target: Path
    previous_key: str | None
    layout: str = "leaflet"
    large_print: bool = False


@cache
def _clinic(clinic_dir: Path | None) -> Clinic:
    return load_clinic(clinic_dir)


@cache
def _personal_copies():
    """This worker's maker of personal copies: it keeps each shared leaflet it renders."""
    from .stamping import PersonalCopies

    return PersonalCopies()


Result = tuple[int, Path, LeafletRecord | None, str | None]
"""Row number, target, what the history keeps (None when up to date) and any problem."""


def _run_group(jobs: list[_Job]) -> list[Result]:
    """In a worker: make each leaflet of a group that is not up to date. Never raises."""
    try:
        return _make_leaflets(jobs)
    except Exception as error:  # a row must never stop the others: try them one by one
        if len(jobs) > 1:
            return [result for job in jobs for result in _run_group([job])]
        job = jobs[0]
        return [(job.row.row, job.target, None, f"unexpected {type(error).__name__}: {error}")]


def _make_leaflets(jobs: list[_Job]) -> list[Result]:
    """Make the leaflet of each row that is not up to date."""
    from .build import leaflet_record, write_file

    copies = _personal_copies()
    results: list[Result] = []
    for job in jobs:
        row = job.row
        try:
            copy = copies.copy(
                row.treatments,
                _clinic(job.clinic_dir),
                row.appointment,
                None,
                row.language,
                job.large_print,
                job.layout,
            )
            if copy.input_key == job.previous_key and job.target.is_file():
                results.append((row.row, job.target, None, None))
                continue
            pdf = copies.render(copy)
            write_file(job.target, pdf.data)
            record = leaflet_record(
                copy.record_handout(), pdf.data, row.appointment, "batch", job.target
            )
            results.append((row.row, job.target, record, None))
        except HandoutsError as error:
            results.append((row.row, job.target, None, error.message))
    return results


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
    ``layout`` and ``large_print`` apply to every row.
    """
    clinic = load_clinic(clinic_dir)
    rows, problems = read_appointments(csv_path, ContentLibrary(clinic.kit_dir), clinic.font_path)
    report = BatchReport(problems=problems)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HandoutsError(
            f"{display_path(output_dir)}: cannot create ({error.strerror})"
        ) from None
    targets: list[Path] = []
    for row in rows:
        target = output_dir / row.file_name()
        while target in targets:  # same patient, day and treatment twice: keep both
            target = target.with_stem(f"{target.stem}-{len(targets)}")
        targets.append(target)
    previous = latest_input_keys(clinic, [str(target.resolve()) for target in targets])
    work = [
        _Job(clinic_dir, row, target, previous.get(str(target.resolve())), layout, large_print)
        for row, target in zip(rows, targets, strict=True)
    ]
    records: list[LeafletRecord] = []
    workers = max(1, min(jobs or os.cpu_count() or 1, len(work) or 1))
    # Rows go to workers in small groups: fewer round trips between the processes.
    size = max(1, min(GROUP_SIZE, len(work) // (workers * 4)))
    groups = [work[start : start + size] for start in range(0, len(work), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = (result for group in pool.map(_run_group, groups) for result in group)
        for number, target, record, error in progress(results, len(work)) if progress else results:
            if error:
                report.problems.append(RowProblem(number, error))
            elif record is None:
                report.up_to_date.append(target)
            else:
                records.append(record)
                report.made.append(target)
    if records:
        record_leaflets(clinic, records)
    report.problems.sort(key=lambda problem: problem.row)
    return report
