"""``handouts appointments import``: a booking export into the store, and its report file.

Every import writes ``<input>.import-report.csv`` beside the input (in the data folder
when that folder cannot be written): the summary, each rejected row with its line and
reason, and each unknown service with its lines, so nothing is lost to a scrolled terminal.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, replace
from pathlib import Path

from .appointment_store import count_outcomes, save_appointments
from .atomic import NotARegularFile, write_atomically
from .audit import spreadsheet_text
from .booking_export import ExportRows, read_booking_export
from .config import Clinic, load_clinic
from .content import ContentLibrary
from .errors import HandoutsError
from .history_file import check_history
from .paths import data_folder, display_path
from .service_names import ServiceNames

REPORT_SUFFIX = ".import-report.csv"
REPORT_COLUMNS = ("lines", "what", "value", "reason")


@dataclass(frozen=True)
class ImportResult:
    """What one import did."""

    counts: dict[str, int]
    """``new``, ``updated``, ``rescheduled``, ``cancelled``, ``unchanged``, ``rejected``."""
    rows: ExportRows
    report: Path
    """Where the report file was written."""

    def summary(self) -> str:
        """``3 new, 0 updated, 1 rescheduled, 0 cancelled, 2 unchanged, 1 rejected``."""
        return ", ".join(f"{count} {outcome}" for outcome, count in self.counts.items())


def import_appointments(path: Path, clinic: Clinic | Path | None = None) -> ImportResult:
    """Read ``path`` with the clinic's ``appointments:`` settings, merge its bookings into
    the store, and write the report file. HandoutsError if the file as a whole is unusable."""
    if not isinstance(clinic, Clinic):
        clinic = load_clinic(clinic)
    check_history(clinic)
    library = ContentLibrary(clinic.kit_dir)
    names = ServiceNames(library, clinic.appointments.treatments)
    rows = read_booking_export(path, clinic.appointments, names, clinic.font_path)
    counts = count_outcomes(save_appointments(clinic, rows.bookings))
    counts["rejected"] = len(rows.rejected)
    result = ImportResult(counts, rows, path.with_name(path.name + REPORT_SUFFIX))
    return replace(result, report=write_report(path, report_text(result)))


def report_text(result: ImportResult) -> str:
    """The report as CSV: a summary line, rejected rows, unknown services."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    writer.writerow(["", "summary", "", result.summary()])
    for where, reason in result.rows.rejected:
        writer.writerow([_lines(where), "rejected row", "", spreadsheet_text(reason)])
    for service, wheres in result.rows.unknown_services.items():
        lines = " ".join(_lines(where) for where in wheres)
        writer.writerow(
            [
                lines,
                "unknown service",
                spreadsheet_text(service),
                "add it under appointments.treatments in clinic.yaml",
            ]
        )
    return out.getvalue()


def _lines(where: str) -> str:
    """``line 12`` -> ``12``; ``lines 12-14`` -> ``12-14``."""
    return where.split(" ", 1)[1]


def write_report(path: Path, text: str) -> Path:
    """Write the report of importing ``path`` beside it, else in the data folder; where it went."""
    data = text.encode("utf-8-sig")  # the BOM: spreadsheets then read UTF-8
    beside = path.with_name(path.name + REPORT_SUFFIX)
    fallback = data_folder() / "import-reports" / beside.name
    for target in (beside, fallback):
        if target is beside and not os.access(path.parent, os.W_OK):
            continue
        try:
            write_atomically(target, data, mode=0o600)  # it names patients
            return target
        except (OSError, NotARegularFile):
            continue
    raise HandoutsError(
        f"{display_path(path)}: imported, but the report could not be written beside it or "
        f"in {display_path(fallback.parent)}; let this user write to one of them"
    )
