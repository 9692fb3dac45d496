"""``handouts appointments import``: a booking export, calendar or FHIR file (or feed)
into the store, and its report file.

The kind is read from the content: ``BEGIN:VCALENDAR`` is iCalendar, a JSON object is FHIR,
anything else a CSV export. Every import writes ``<input>.import-report.csv`` beside the
input (in the data folder when that folder cannot be written, and always for a feed): the
summary, each rejected row or event with its reason, and each unknown service with where it
is, so nothing is lost to a scrolled terminal.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from .appointment_store import count_outcomes, save_appointments
from .atomic import NotARegularFile, write_atomically
from .audit import spreadsheet_text
from .booking_export import ExportRows, read_booking_export
from .clock import today
from .config import Clinic, load_clinic
from .content import ContentLibrary
from .errors import HandoutsError
from .feed_fetch import fetch_feed, shown_url
from .fhir_reader import read_fhir
from .history_file import check_history
from .ical_reader import read_calendar
from .paths import data_folder, display_path
from .service_names import ServiceNames

REPORT_SUFFIX = ".import-report.csv"
REPORT_COLUMNS = ("lines", "what", "value", "reason")
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")
"""``https://``, ``http://``, ``file://``: an address, not a file name."""
SNIFFED_BYTES = 4096


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


def is_address(source: str | Path) -> bool:
    """Whether ``source`` is written as an address (``https://...``) rather than a file."""
    return isinstance(source, str) and bool(URL_SCHEME.match(source))


def import_appointments(source: Path | str, clinic: Clinic | Path | None = None) -> ImportResult:
    """Read ``source`` (a file, or an https:// feed) with the clinic's ``appointments:``
    settings, merge its bookings into the store, and write the report file.
    HandoutsError if the source as a whole is unusable."""
    if not isinstance(clinic, Clinic):
        clinic = load_clinic(clinic)
    check_history(clinic)
    library = ContentLibrary(clinic.kit_dir)
    names = ServiceNames(library, clinic.appointments.treatments)
    if is_address(source):
        data = fetch_feed(source, clinic.appointments.feed_timeout)
        safe = re.sub(r"[^\w.-]+", "-", shown_url(source).split("://", 1)[1]).strip("-")[:100]
        place = data_folder() / "import-reports" / safe
        rows = read_appointments(data, shown_url(source), None, clinic, names)
    else:
        place = Path(source)
        try:
            with place.open("rb") as stream:
                head = stream.read(SNIFFED_BYTES)
        except OSError as error:
            raise HandoutsError(f"{display_path(place)}: cannot read ({error.strerror})") from None
        rows = read_appointments(head, place.name, place, clinic, names)
    counts = count_outcomes(save_appointments(clinic, rows.bookings))
    counts["rejected"] = len(rows.rejected)
    result = ImportResult(counts, rows, place.with_name(place.name + REPORT_SUFFIX))
    return replace(result, report=write_report(place, report_text(result)))


def source_kind(head: bytes) -> str:
    """``ical``, ``fhir`` or ``csv``, from how the content starts."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text[:15].upper() == b"BEGIN:VCALENDAR":
        return "ical"
    return "fhir" if text.startswith(b"{") else "csv"


def read_appointments(
    data: bytes, name: str, path: Path | None, clinic: Clinic, names: ServiceNames
) -> ExportRows:
    """The bookings in ``data`` (all of it, or the start of the file ``path``)."""
    kind, settings, font = source_kind(data), clinic.appointments, clinic.font_path
    if kind != "csv" and path is not None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise HandoutsError(f"{display_path(path)}: cannot read ({error.strerror})") from None
    if kind == "ical":
        return read_calendar(data, name, settings.ical, names, font, clinic.zone, today())
    if kind == "fhir":
        return read_fhir(data, name, names, font, clinic.zone)
    if path is not None:
        return read_booking_export(path, settings, names, font)
    with tempfile.TemporaryDirectory() as folder:  # a CSV feed: read as a file
        feed = Path(folder) / (re.sub(r"[^\w.-]+", "-", name.rsplit("/", 1)[-1]) or "feed.csv")
        feed.write_bytes(data)
        return read_booking_export(feed, settings, names, font)


def report_text(result: ImportResult, when: str = "") -> str:
    """The report as CSV: a summary line (``when`` in its value), rejected rows, unknown
    services."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    writer.writerow(["", "summary", when, result.summary()])
    for where, reason in result.rows.rejected:
        kind = {"line": "row", "lines": "row"}.get(where.split(" ", 1)[0], where.split(" ", 1)[0])
        writer.writerow([_lines(where), f"rejected {kind}", "", spreadsheet_text(reason)])
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
