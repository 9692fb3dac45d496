"""The appointment store: booking exports imported into the clinic's history file.

Every test writes a real CSV file and imports it into a real SQLite file, through the
command line (``handouts appointments import``/``list``) or the library function it calls.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.appointment_import import import_appointments
from handouts.appointment_store import stored_appointments
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.content import ContentLibrary
from handouts.csv_records import UNCLOSED
from handouts.errors import ConfigError, HandoutsError
from handouts.history_file import SCHEMA, database_path
from handouts.service_names import ServiceNames

EXPORT_SETTINGS = """\
name: Northbank Skin
phone: 01632 960 001
appointments:
  columns:
    id: Booking Ref
    patient_name: Client Name
    treatments: Service
    date: Appointment Date
    time: Start Time
    email: Client Email
    status: Status
    practitioner: Staff
  treatments:
    "Microneedling - Face": microneedling
  date_format: "%d/%m/%Y"
  cancelled: [Cancelled, No show]
"""
EXPORT_HEADER = (
    "Booking Ref;Client Name;Service;Appointment Date;Start Time;Client Email;Status;Staff"
)


@pytest.fixture
def kit(clinic_kit) -> Path:
    return clinic_kit({"clinic.yaml": EXPORT_SETTINGS})


def export(folder: Path, rows: list[str], name: str = "export.csv", header=EXPORT_HEADER) -> Path:
    """A booking system's export: UTF-8 with BOM, ``;`` between cells, CRLF."""
    path = folder / name
    path.write_bytes(("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    return path


def run(*arguments: str):
    return CliRunner().invoke(cli, [*map(str, arguments)])


def stored(kit: Path) -> dict[str, object]:
    """Every stored appointment by patient."""
    return {row.patient: row for row in stored_appointments(load_clinic(kit))}


def test_a_real_booking_export_imports_with_its_names_dates_and_services(kit, tmp_path):
    path = export(
        tmp_path,
        [
            'A1;"Smith, Ann ""Annie""";Chemical Peel;03/12/2026;14:30;ann@example.com;Booked;'
            "Dr Ruiz",
            "A2;Bob {{ clinic.phone }};Microneedling - Face;04/12/2026;09:05;;Confirmed;",
            "A3;Жанна Петрова;Botox;05/12/2026;;;;",
            "A4;李小龙;collagen induction therapy;06/12/2026;11:00;li@example.com;;",
            "A5;Nadia;Chemical-Peel, Botox (3 areas);07/12/2026;16:00;;;",
        ],
    )
    result = run("appointments", "import", path, "--clinic", kit)
    assert result.exit_code == 0, result.output
    report = path.with_name("export.csv.import-report.csv")
    assert result.stdout == (
        f"{path}: 5 new, 0 updated, 0 rescheduled, 0 cancelled, 0 unchanged, 0 rejected. "
        f"Report: {report}\n"
    )
    found = stored(kit)
    ann = found['Smith, Ann "Annie"']
    assert (ann.id, ann.source, ann.source_id) == ("csv:A1", "csv:export.csv", "A1")
    assert (ann.start, ann.treatments, ann.email) == (
        "2026-12-03T14:30",
        ("chemical-peel",),
        "ann@example.com",
    )
    assert (ann.practitioner, ann.status) == ("Dr Ruiz", "booked")
    assert found["Bob {{ clinic.phone }}"].treatments == ("microneedling",)
    assert found["Жанна Петрова"].start == "2026-12-05"
    assert found["Жанна Петрова"].treatments == ("anti-wrinkle-injections",)
    assert found["李小龙"].treatments == ("microneedling",)
    assert found["Nadia"].treatments == ("chemical-peel", "anti-wrinkle-injections")
    assert ann.first_seen == ann.last_changed


def test_the_same_file_imported_twice_is_one_appointment_each(kit, tmp_path):
    rows = ["A1;Ann;Chemical Peel;03/12/2026;14:30;;;", "A2;Bob;Botox;04/12/2026;10:00;;;"]
    first = import_appointments(export(tmp_path, rows), kit)
    again = import_appointments(export(tmp_path, rows, name="export-next-day.csv"), kit)
    assert first.counts["new"] == 2
    assert (
        again.summary() == "0 new, 0 updated, 0 rescheduled, 0 cancelled, 2 unchanged, 0 rejected"
    )
    assert len(stored_appointments(load_clinic(kit))) == 2


def test_without_an_id_column_the_same_row_is_still_one_appointment(clinic_kit, tmp_path):
    kit = clinic_kit({"clinic.yaml": EXPORT_SETTINGS.replace("    id: Booking Ref\n", "")})
    header = EXPORT_HEADER.removeprefix("Booking Ref;")
    rows = [
        "Ann;Chemical Peel;03/12/2026;14:30;ann@example.com;;",
        "Ann;Chemical Peel;03/12/2026;14:30;ANN@example.com;;",
    ]
    result = import_appointments(export(tmp_path, rows, header=header), kit)
    again = import_appointments(export(tmp_path, rows[1:], "other.csv", header=header), kit)
    assert (result.counts["new"], result.counts["updated"]) == (1, 1)  # the address's case
    assert again.counts["unchanged"] == 1
    [ann] = stored_appointments(load_clinic(kit))
    assert ann.id.startswith("csv:row:") and ann.source_id is None


def test_a_moved_booking_is_rescheduled_and_a_changed_detail_updated(kit, tmp_path):
    import_appointments(
        export(
            tmp_path,
            ["A1;Ann;Chemical Peel;03/12/2026;14:30;;;", "A2;Bob;Botox;04/12/2026;10:00;;;"],
        ),
        kit,
    )
    moved = import_appointments(
        export(
            tmp_path,
            [
                "A1;Ann;Chemical Peel;05/12/2026;09:00;;;",
                "A2;Bob;Botox;04/12/2026;10:00;bob@example.com;;",
            ],
        ),
        kit,
    )
    assert (moved.counts["rescheduled"], moved.counts["updated"]) == (1, 1)
    ann, bob = stored(kit)["Ann"], stored(kit)["Bob"]
    assert (ann.status, ann.start, ann.previous_start) == (
        "rescheduled",
        "2026-12-05T09:00",
        "2026-12-03T14:30",
    )
    assert (bob.status, bob.email) == ("booked", "bob@example.com")
    assert ann.first_seen <= ann.last_changed


def test_a_cancelled_or_no_show_status_cancels_and_a_new_booking_books_again(kit, tmp_path):
    import_appointments(
        export(
            tmp_path,
            ["A1;Ann;Chemical Peel;03/12/2026;14:30;;;", "A2;Bob;Botox;04/12/2026;10:00;;;"],
        ),
        kit,
    )
    cancelled = import_appointments(
        export(
            tmp_path,
            [
                "A1;Ann;Chemical Peel;03/12/2026;14:30;;CANCELLED;",
                "A2;Bob;Botox;04/12/2026;10:00;;No-show;",
                "A3;Cleo;Botox;04/12/2026;11:00;;Cancelled;",
            ],
        ),
        kit,
    )
    assert (
        cancelled.summary()
        == "0 new, 0 updated, 0 rescheduled, 3 cancelled, 0 unchanged, 0 rejected"
    )
    assert {row.status for row in stored(kit).values()} == {"cancelled"}
    again = import_appointments(
        export(
            tmp_path,
            [
                "A1;Ann;Chemical Peel;03/12/2026;14:30;;CANCELLED;",
                "A2;Bob;Botox;04/12/2026;10:00;;Booked;",
            ],
        ),
        kit,
    )
    assert (again.counts["unchanged"], again.counts["updated"]) == (1, 1)
    assert stored(kit)["Bob"].status == "booked"


def test_bad_rows_are_rejected_with_their_lines_and_every_good_row_is_imported(kit, tmp_path):
    path = export(
        tmp_path,
        [
            "A1;Ann;Laser Lipo;03/12/2026;14:30;;;",
            "A2;Bob;Chemical Peel;2026-12-04;10:00;;;",
            "A3;Cleo;laser lipo!;05/12/2026;;;;",
            "A4;Dora;Chemical Peel;05/12/2026;25:00;;;",
            "A5;;Chemical Peel;05/12/2026;;;;",
            "A6;Eve;Chemical Peel;06/12/2026;;not-an-address;;",
            'A7;"Fay;Chemical Peel;06/12/2026;;;;',
            "A8;Gil;Chemical Peel;06/12/2026;12:00;;;",
            "A9;Hal;Hydra Lipo;06/12/2026;;;;",
        ],
    )
    result = run("appointments", "import", path, "--clinic", kit)
    assert result.exit_code == 1
    assert "1 new, 0 updated, 0 rescheduled, 0 cancelled, 0 unchanged, 8 rejected" in result.stdout
    assert result.stderr.splitlines() == [
        "  unknown service 'Laser Lipo': lines 2, 4",
        "  unknown service 'Hydra Lipo': line 10",
        "  line 3: Appointment Date: '2026-12-04' does not match the format %d/%m/%Y (like "
        "03/12/2026); check the cell, or appointments.date_format and time_format in clinic.yaml",
        "  line 5: Start Time: '25:00' is not a time; use HH:MM (24-hour), e.g. 14:30",
        "  line 6: Client Name: empty; every row needs the patient's name",
        "  line 7: Client Email: 'not-an-address' is not an email address",
        f"  line 8: {UNCLOSED}",
        "  Name each unknown service's treatment under appointments.treatments in clinic.yaml, "
        "then import again.",
    ]
    assert list(stored(kit)) == ["Gil"]
    report = path.with_name(path.name + ".import-report.csv").read_text("utf-8-sig")
    lines = list(csv.reader(io.StringIO(report)))
    assert lines[:2] == [
        ["lines", "what", "value", "reason"],
        [
            "",
            "summary",
            "",
            "1 new, 0 updated, 0 rescheduled, 0 cancelled, 0 unchanged, 8 rejected",
        ],
    ]
    rejected = {row[0]: row[3] for row in lines if row[1] == "rejected row"}
    assert list(rejected) == ["2", "3", "4", "5", "6", "7", "8", "10"]
    assert rejected["2"].startswith("Service: unknown service 'Laser Lipo'; add it under")
    unknown = [row[:3] for row in lines if row[1] == "unknown service"]
    assert unknown == [
        ["2 4", "unknown service", "Laser Lipo"],
        ["10", "unknown service", "Hydra Lipo"],
    ]
    assert oct(path.with_name(path.name + ".import-report.csv").stat().st_mode & 0o777) == "0o600"


def test_the_report_goes_to_the_data_folder_when_it_cannot_be_written_beside_the_file(
    kit, tmp_path, monkeypatch
):
    monkeypatch.setenv("HANDOUTS_HOME", str(tmp_path / "home"))
    path = export(tmp_path, ["A1;Ann;Chemical Peel;03/12/2026;14:30;;;"])
    path.with_name(path.name + ".import-report.csv").mkdir()  # not a file it may replace
    result = import_appointments(path, kit)
    assert result.report == tmp_path / "home" / "import-reports" / "export.csv.import-report.csv"
    assert "1 new" in result.report.read_text("utf-8-sig")


def test_a_report_cell_a_spreadsheet_would_run_is_written_as_text(kit, tmp_path):
    path = export(tmp_path, ["A1;Ann;=HYPERLINK(1);03/12/2026;;;;"])
    report = import_appointments(path, kit).report.read_text("utf-8-sig")
    assert "'=HYPERLINK(1)" in report


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04rest of a zip", "an Excel workbook, not a CSV file; save it as CSV UTF-8"),
        (
            "Client Name;Service\r\nJosé;Botox\r\n".encode("cp1252"),
            "not UTF-8 text; export the CSV as UTF-8",
        ),
        (b"", "the file is empty"),
        (
            b"Client Name;Service\r\nAnn;Botox\r\n",
            "no Appointment Date column; name the export's column",
        ),
    ],
)
def test_a_file_that_is_no_usable_export_is_one_line_naming_it(kit, tmp_path, data, message):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    result = run("appointments", "import", path, "--clinic", kit)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: {message}")
    assert len(result.stderr.splitlines()) == 1
    assert not path.with_name(path.name + ".import-report.csv").exists()


def test_another_encoding_and_separator_from_clinic_yaml(clinic_kit, tmp_path):
    settings = EXPORT_SETTINGS + '  encoding: cp1252\n  delimiter: tab\n  time_format: "%I:%M %p"\n'
    kit = clinic_kit({"clinic.yaml": settings})
    path = tmp_path / "export.txt"
    header = EXPORT_HEADER.replace(";", "\t")
    path.write_bytes(
        f"{header}\r\nA1\tJosé, Ñ\tChemical Peel\t03/12/2026\t02:30 PM\t\t\t\r\n".encode("cp1252")
    )
    assert import_appointments(path, kit).counts["new"] == 1
    assert stored(kit)["José, Ñ"].start == "2026-12-03T14:30"


def test_a_date_format_with_the_time_needs_no_time_column(clinic_kit, tmp_path):
    settings = (
        "name: T\nphone: '1'\nappointments:\n  columns: {patient_name: Client, treatments: Service,"
        " date: When}\n  date_format: '%d.%m.%Y %H:%M'\n"
    )
    kit = clinic_kit({"clinic.yaml": settings})
    path = tmp_path / "e.csv"
    path.write_text("Client,Service,When\nAnn,Microneedling,03.12.2026 09:15\n", encoding="utf-8")
    assert import_appointments(path, kit).counts["new"] == 1
    assert stored(kit)["Ann"].start == "2026-12-03T09:15"


def test_our_own_column_names_import_without_any_settings(clinic_kit, tmp_path):
    kit = clinic_kit()
    path = tmp_path / "appointments.csv"
    path.write_text(
        "patient_name,email,treatment,date,time,practitioner,language\n"
        "Lucía,lucia@example.com,chemical-peel;microneedling,2026-12-04,9:30,Dr Ruiz,es\n",
        encoding="utf-8",
    )
    assert import_appointments(path, kit).counts["new"] == 1
    lucia = stored(kit)["Lucía"]
    assert (lucia.treatments, lucia.start, lucia.language) == (
        ("chemical-peel", "microneedling"),
        "2026-12-04T09:30",
        "es",
    )


def test_service_names_match_titles_other_names_and_kit_aliases_ignoring_case_and_punctuation():
    names = ServiceNames(ContentLibrary(), {"Signature Glow": "hydrodermabrasion-facial"})
    assert names.treatment("CHEMICAL PEEL.") == "chemical-peel"
    assert names.treatment("Botox") == "anti-wrinkle-injections"
    assert names.treatment("Collagen-Induction Therapy") == "microneedling"
    assert names.treatment("peeling químico") == "chemical-peel"  # the Spanish title
    assert names.treatment("signature glow") == "hydrodermabrasion-facial"
    assert names.treatment("Botox: 3 areas") == "anti-wrinkle-injections"
    assert names.treatment("Laser Lipo") is None


def test_an_alias_naming_no_treatment_is_refused(clinic_kit, tmp_path):
    kit = clinic_kit(
        {"clinic.yaml": "name: T\nphone: '1'\nappointments:\n  treatments: {Glow: glow-facial}\n"}
    )
    path = tmp_path / "a.csv"
    path.write_text("patient_name,treatment,date\nAnn,Glow,2026-12-03\n", encoding="utf-8")
    with pytest.raises(
        HandoutsError,
        match=r"^clinic.yaml: appointments.treatments: no treatment glow-facial; use one of ",
    ):
        import_appointments(path, kit)


def test_appointment_settings_are_checked_with_one_line_each(clinic_kit):
    kit = clinic_kit(
        {
            "clinic.yaml": (
                "name: T\nphone: '1'\nappointments:\n  treatments: {X: Not A Slug}\n"
                "  date_format: '%Q'\n  time_format: '%d'\n  delimiter: ':'\n"
                "  encoding: klingon\n  cancelled: []\n"
            )
        }
    )
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    source = f"{kit}/clinic.yaml"
    assert caught.value.message.replace(source, "clinic.yaml").splitlines() == [
        "clinic.yaml: appointments.treatments.X: 'Not A Slug' is not a treatment name; "
        "write the name 'handouts list' shows, like microneedling",
        "clinic.yaml: appointments.date_format: '%Q' has no %d or %m or %Y or %y or %j or %b or "
        "%B; write it like %d/%m/%Y",
        "clinic.yaml: appointments.time_format: '%d' has no %H or %I or %M; write it like %H:%M",
        "clinic.yaml: appointments.delimiter: ':' is not a separator; use ',', ';', '|' or tab",
        "clinic.yaml: appointments.encoding: 'klingon' is not a text encoding (e.g. utf-8, cp1252)",
        "clinic.yaml: appointments.cancelled: is empty",
    ]


def test_an_older_history_file_gets_the_appointments_table(kit, tmp_path):
    older = SCHEMA.split("CREATE TABLE IF NOT EXISTS appointments")[0]
    path = database_path(load_clinic(kit))
    connection = sqlite3.connect(path)
    connection.executescript(
        older + "INSERT INTO audit (at, who, action, subject) VALUES ('t', 'w', 'approve', 's');"
    )
    connection.close()
    import_appointments(export(tmp_path, ["A1;Ann;Chemical Peel;03/12/2026;14:30;;;"]), kit)
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT count(*) FROM audit").fetchone() == (1,)
    assert connection.execute("SELECT id FROM appointments").fetchall() == [("csv:A1",)]
    connection.close()


def _import_in_another_process(kit: str, path: str, start, results) -> None:
    start.wait()
    results.put(import_appointments(Path(path), Path(kit)).counts)


def test_two_imports_at_once_from_two_processes_lose_nothing(kit, tmp_path):
    shared = [f"S{n};Shared {n};Chemical Peel;03/12/2026;10:00;;;" for n in range(50)]
    files = [
        export(
            tmp_path,
            shared + [f"{tag}{n};{tag} {n};Botox;04/12/2026;11:00;;;" for n in range(150)],
            f"{tag}.csv",
        )
        for tag in ("P", "Q")
    ]
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(
            target=_import_in_another_process, args=(str(kit), str(path), start, results)
        )
        for path in files
    ]
    for worker in workers:
        worker.start()
    counts = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sorted(count["new"] for count in counts) == [150, 200]
    assert sorted(count["unchanged"] for count in counts) == [0, 50]
    assert len(stored_appointments(load_clinic(kit))) == 350


def test_list_shows_the_days_asked_for_by_start_and_as_json(kit, tmp_path):
    rows = [
        "A1;Ann;Chemical Peel;03/12/2026;14:30;ann@example.com;;Dr Ruiz",
        "A2;Bob;Botox;04/12/2026;;;;",
        "A3;Cleo;Microneedling - Face;05/12/2026;09:00;;Cancelled;",
    ]
    import_appointments(export(tmp_path, rows), kit)
    result = run(
        "appointments", "list", "--from", "2026-12-03", "--to", "2026-12-04",
        "--today", "2026-12-02", "--clinic", kit,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2026-12-03 14:30  booked       Ann <ann@example.com>  chemical-peel (Dr Ruiz)  [csv:A1]"
        "  next: aftercare 2026-12-03 16:30",
        "2026-12-04        booked       Bob  anti-wrinkle-injections  [csv:A2]"
        "  next: pre-care 2026-12-01 09:00",
    ]
    result = run("appointments", "list", "--from", "2026-12-05", "--json", "--clinic", kit)
    [cleo] = json.loads(result.stdout)
    assert {
        key: cleo[key] for key in ("id", "patient", "treatments", "start", "status", "source")
    } == {
        "id": "csv:A3",
        "patient": "Cleo",
        "treatments": ["microneedling"],
        "start": "2026-12-05T09:00",
        "status": "cancelled",
        "source": "csv:export.csv",
    }
    empty = run("appointments", "list", "--from", "2027-01-01", "--clinic", kit)
    assert empty.stdout == "No appointments in that time.\n"
    backwards = run(
        "appointments", "list", "--from", "2026-12-05", "--to", "2026-12-01", "--clinic", kit
    )
    assert backwards.exit_code == 2


def test_list_starts_today_unless_told(kit, tmp_path, monkeypatch):
    rows = ["A1;Ann;Chemical Peel;03/12/2026;14:30;;;", "A2;Bob;Botox;04/12/2026;;;;"]
    import_appointments(export(tmp_path, rows), kit)
    monkeypatch.setenv("HANDOUTS_TODAY", "2026-12-04")
    result = run("appointments", "list", "--clinic", kit)
    assert [line.split("[")[1].split("]")[0] for line in result.stdout.splitlines()] == ["csv:A2"]
    bad = run("appointments", "list", "--from", "03/12/2026", "--clinic", kit)
    assert bad.exit_code == 2
    assert "'03/12/2026' is not a date; use YYYY-MM-DD" in bad.stderr
