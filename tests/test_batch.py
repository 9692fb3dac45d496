"""`handouts batch` and the history: every good row made once, bad rows reported, nothing lost."""

from __future__ import annotations

import json
import re
import stat

import pytest
from click.testing import CliRunner
from pdfcheck import reader, text

from handouts.appointment_csv import read_appointments
from handouts.batch import run_batch
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.content import ContentLibrary
from handouts.csv_records import UNCLOSED
from handouts.errors import HandoutsError
from handouts.history import database_path, leaflet_history

HEADER = "patient_name,email,treatment,date,time,practitioner,language"


def write_csv(path, lines, delimiter=",", bom=False, newline="\n"):
    body = newline.join([HEADER.replace(",", delimiter), *lines]) + newline
    path.write_bytes(("\ufeff" if bom else "").encode() + body.encode("utf-8"))
    return path


def test_bom_semicolons_crlf_and_several_treatments(tmp_path):
    csv_file = write_csv(
        tmp_path / "a.csv",
        [
            "Amira Haddad;amira@example.com;microneedling;2026-12-03;10:30;Dr O'Neill;",
            'Lucía Pérez;;"chemical-peel; dermal-fillers";2026-12-04;09:00;Dr Ruiz;es',
        ],
        delimiter=";",
        bom=True,
        newline="\r\n",
    )
    rows, problems = read_appointments(csv_file, ContentLibrary())
    assert problems == []
    assert [row.treatments for row in rows] == [
        ("microneedling",),
        ("chemical-peel", "dermal-fillers"),
    ]
    assert rows[0].appointment.patient == "Amira Haddad" and rows[1].language == "es"
    assert rows[1].file_name() == "2026-12-04_Lucía-Pérez_chemical-peel+dermal-fillers.pdf"


def test_bad_rows_are_reported_with_row_number_and_reason(tmp_path):
    csv_file = write_csv(
        tmp_path / "a.csv",
        [
            "Good Row,,microneedling,2026-12-03,10:30,,",
            ",,microneedling,2026-12-03,,,",
            "No Treatment,,,2026-12-03,,,",
            "Bad Date,,microneedling,03/12/2026,,,",
            "Bad Time,,microneedling,2026-12-03,half ten,,",
            "Brand Name,,botox,2026-12-03,,,",
            "Bad Email,not-an-email,microneedling,,,,",
            "Bad Language,,microneedling,,,,xx",
            "김민준,,microneedling,,,,",
            "",
        ],
    )
    rows, problems = read_appointments(csv_file, ContentLibrary())
    assert [row.row for row in rows] == [2]
    reasons = {problem.row: problem.reason for problem in problems}
    assert reasons[3] == "patient_name: empty; every row needs the patient's name"
    assert reasons[4] == "treatment: choose at least one treatment"
    assert reasons[5] == "date: '03/12/2026' is not a date; use YYYY-MM-DD, e.g. 2026-03-14"
    assert reasons[6] == "time: 'half ten' is not a time; use HH:MM (24-hour), e.g. 14:30"
    assert reasons[7].startswith(
        "treatment: unknown treatment 'botox'; available: acne-prescription-skincare, "
        "anti-wrinkle-injections"
    )
    assert reasons[8] == "email: 'not-an-email' is not an email address"
    assert reasons[9].startswith("language: 'xx' is not a language code")
    assert reasons[10].startswith("patient_name: no bundled font can print")
    assert len(problems) == 8


def test_batch_makes_every_good_row_reports_bad_ones_and_exits_1(tmp_path, in_tmp):
    lines = [
        f"Patient {n},,{'microneedling' if n % 2 else 'chemical-peel'},2026-12-0{n % 9 + 1},"
        f"10:{n:02d},Dr Ruiz,"
        for n in range(1, 9)
    ]
    lines[2] = "Patient 3,,no-such-treatment,2026-12-04,,,"
    lines[5] = "Patient 6,,microneedling,2026-13-40,,,"
    csv_file = write_csv(tmp_path / "appointments.csv", lines)
    result = CliRunner().invoke(cli, ["batch", str(csv_file), "-o", "out", "--jobs", "2"])
    assert result.exit_code == 1
    counts = re.fullmatch(
        r"The file had 8 rows\. Made 6 leaflets in out \((\d) stamped, (\d) rendered in full\), "
        r"2 skipped\.\n",
        result.stdout,
    )
    assert counts and int(counts[1]) + int(counts[2]) == 6, result.stdout
    assert "2 rows skipped:" in result.stderr
    assert "line 4: treatment: unknown treatment 'no-such-treatment'" in result.stderr
    assert "line 7: date: '2026-13-40' is not a date; use YYYY-MM-DD" in result.stderr
    made = sorted((in_tmp / "out").iterdir())
    assert len(made) == 6
    assert "Patient 1" in text(made[0]) or "Patient 1" in " ".join(text(p) for p in made)


def test_rerun_skips_up_to_date_leaflets_and_redoes_changed_rows(tmp_path):
    csv_file = write_csv(
        tmp_path / "a.csv",
        ["Ann Lee,,microneedling,2026-12-03,10:30,,", "Bo Chan,,dermaplaning,2026-12-03,11:00,,"],
    )
    out = tmp_path / "out"
    first = run_batch(csv_file, output_dir=out, jobs=1)
    assert (len(first.made), len(first.up_to_date), first.problems) == (2, 0, [])
    again = run_batch(csv_file, output_dir=out, jobs=1)
    assert (len(again.made), len(again.up_to_date)) == (0, 2)
    write_csv(
        csv_file,
        ["Ann Lee,,microneedling,2026-12-03,14:00,,", "Bo Chan,,dermaplaning,2026-12-03,11:00,,"],
    )
    changed = run_batch(csv_file, output_dir=out, jobs=1)
    assert [path.name for path in changed.made] == ["2026-12-03_Ann-Lee_microneedling.pdf"]
    assert "at 14:00" in text(changed.made[0])


def test_file_names_stay_inside_the_output_folder(tmp_path):
    csv_file = write_csv(
        tmp_path / "a.csv",
        ["../../etc/passwd,,microneedling,,,,", "CON: <x> | y,,microneedling,,,,"],
    )
    rows, _ = read_appointments(csv_file, ContentLibrary())
    assert [row.file_name() for row in rows] == [
        "undated_etc-passwd_microneedling.pdf",
        "undated_CON-x-y_microneedling.pdf",
    ]


def test_history_records_every_leaflet_and_filters_by_patient(tmp_path, in_tmp, monkeypatch):
    monkeypatch.setenv("HANDOUTS_HOME", str(tmp_path / "home"))  # a history of its own
    csv_file = write_csv(tmp_path / "a.csv", ["Amira Haddad,,microneedling,2026-12-03,10:30,,"])
    run_batch(csv_file, output_dir=tmp_path / "out", jobs=1)
    CliRunner().invoke(cli, ["build", "chemical-peel", "--patient", "Bo Chan"])
    clinic = load_clinic()
    assert stat.S_IMODE(database_path(clinic).stat().st_mode) == 0o600
    records = leaflet_history(clinic, patient="amira")
    assert len(records) == 1
    assert records[0].channel == "batch" and records[0].appointment == "2026-12-03 10:30"
    assert records[0].content_versions["microneedling/aftercare"] == "1.1"
    result = CliRunner().invoke(cli, ["history", "--patient", "AMIRA", "--json"])
    assert [row["patient"] for row in json.loads(result.output)] == ["Amira Haddad"]
    listing = CliRunner().invoke(cli, ["history", "--patient", "Bo Chan"]).output
    assert "build  chemical-peel [en-GB, v1.0/1.1/1.2]  Bo Chan" in listing


def test_history_for_a_kit_lives_in_the_kit(clinic_kit, tmp_path):
    kit = clinic_kit()
    csv_file = write_csv(tmp_path / "a.csv", ["Ann Lee,,microneedling,,,,"])
    run_batch(csv_file, clinic_dir=kit, output_dir=tmp_path / "out", jobs=1)
    assert (kit / "handouts-history.sqlite").is_file()
    assert [r.patient for r in leaflet_history(load_clinic(kit))] == ["Ann Lee"]


def test_an_older_history_file_gains_new_columns(clinic_kit):
    import sqlite3

    kit = clinic_kit()
    old = sqlite3.connect(kit / "handouts-history.sqlite")
    old.execute(
        "CREATE TABLE leaflets (id INTEGER PRIMARY KEY, created TEXT NOT NULL, channel TEXT NOT "
        "NULL, treatments TEXT NOT NULL, language TEXT NOT NULL, paper TEXT NOT NULL, "
        "content_versions TEXT NOT NULL, sha256 TEXT NOT NULL, patient TEXT, appointment TEXT, "
        "output TEXT)"
    )
    old.commit()
    old.close()
    assert leaflet_history(load_clinic(kit)) == []


def test_csv_mistakes_are_reported_not_silently_lost(tmp_path):
    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("patient_name,email,treatment,email\nAnn,a@x.com,microneedling,\n")
    with pytest.raises(HandoutsError, match="the header has email more than once"):
        read_appointments(duplicate, ContentLibrary())
    csv_file = write_csv(
        tmp_path / "a.csv",
        [
            "Ann Lee,,microneedling,2026-12-03,10:30,,,extra,cells",
            '"Bob Stray,,microneedling,2026-12-03,,,',
            "Cy Day,,microneedling,2026-12-03,,,",
            "Di Nash,dan,smith@x.com,microneedling,,,,",
        ],
    )
    rows, problems = read_appointments(csv_file, ContentLibrary())
    reasons = {problem.row: problem.reason for problem in problems}
    assert reasons[2] == "9 cells but the header has 7; check the separators in this row"
    assert reasons[3] == UNCLOSED
    assert [row.appointment.patient for row in rows] == ["Cy Day"]  # read after the stray quote
    assert rows == [] or all(row.appointment.patient != "Di Nash" for row in rows)


def test_names_printable_in_the_kit_font_are_accepted(clinic_kit, tmp_path):
    from handouts.paths import builtin_dir

    kit = clinic_kit(
        {
            "clinic.yaml": "name: A\nphone: '1'\nfont: own.ttf\n",
            "own.ttf": (builtin_dir("styles") / "fonts" / "NotoSans-Regular.ttf").read_bytes(),
        }
    )
    csv_file = write_csv(tmp_path / "a.csv", ["Мария,,microneedling,,,,"])
    rows, problems = read_appointments(csv_file, ContentLibrary(kit), load_clinic(kit).font_path)
    assert problems == [] and rows[0].appointment.patient == "Мария"


def test_batch_makes_cards_for_every_row(tmp_path, in_tmp):
    csv_file = write_csv(
        tmp_path / "a.csv",
        ["Amira Haddad,,microneedling,2026-12-03,10:30,,", "Bo Chan,,chemical-peel,,,,"],
    )
    result = CliRunner().invoke(
        cli, ["batch", str(csv_file), "-o", str(tmp_path / "cards"), "--layout", "card"]
    )
    assert result.exit_code == 0, result.output
    made = sorted((tmp_path / "cards").glob("*.pdf"))
    assert len(made) == 2
    for path in made:
        assert len(reader(path).pages) == 1
        assert "AFTERCARE" in text(path)


def test_an_exact_duplicate_row_is_reported_once_and_made_once(tmp_path, in_tmp):
    row = "Ann Lee,ann@example.com,microneedling,2026-12-03,10:30,Dr Ruiz,"
    other = "Ann Lee,ann@example.com,microneedling,2026-12-03,15:00,Dr Ruiz,"
    csv_file = write_csv(tmp_path / "a.csv", [row, row, other, row])
    result = CliRunner().invoke(cli, ["batch", str(csv_file), "-o", "out", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "2 duplicates of earlier rows" in result.stdout
    assert "line 3: the same appointment as line 2; made once" in result.stderr
    assert "line 5: the same appointment as line 2; made once" in result.stderr
    assert "skipped" not in result.stderr
    made = sorted(path.name for path in (in_tmp / "out").iterdir())
    # Two appointments of one patient on one day share a name, so the second gets -2.
    assert made == [
        "2026-12-03_Ann-Lee_microneedling-2.pdf",
        "2026-12-03_Ann-Lee_microneedling.pdf",
    ]
