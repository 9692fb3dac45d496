"""Reading a booking system's CSV: one bad row never costs the rows after it.

Every test writes a real file. Rows are told apart by the patient's name; the line numbers
are the file's physical lines (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import random

import pytest
from click.testing import CliRunner

from handouts.appointment_csv import MAX_CELL, RowProblem, read_appointments
from handouts.batch import BatchReport
from handouts.cli import cli
from handouts.cli_reports import batch_summary
from handouts.content import ContentLibrary
from handouts.csv_records import MAX_RECORD_LINES, TOO_LONG, UNCLOSED, records
from handouts.errors import HandoutsError
from handouts.mail import run_email

HEADER = "patient_name,email,treatment,date,time,practitioner,language"
NOTES_HEADER = HEADER + ",notes"


def good(n: int, delimiter: str = ",", notes: str | None = None) -> str:
    cells = [f"Patient {n}", "", "microneedling", "2026-12-03", f"10:{n % 60:02d}", "Dr Ruiz", ""]
    return delimiter.join(cells if notes is None else [*cells, notes])


def read(tmp_path, lines, header=HEADER, newline="\n", data: bytes | None = None):
    path = tmp_path / "appointments.csv"
    body = newline.join([header, *lines]) + newline
    path.write_bytes(data if data is not None else body.encode("utf-8"))
    rows, problems = read_appointments(path, ContentLibrary())
    return rows, problems


def by_line(problems) -> dict[str, str]:
    return {problem.where: problem.reason for problem in problems}


def patients(rows) -> list[str]:
    return [row.appointment.patient for row in rows]


def test_a_stray_quote_costs_its_own_line_and_the_40_rows_after_it_are_read(tmp_path):
    lines = [good(1), good(2), '"Stray Quote,,microneedling,2026-12-03,,,']
    lines += [good(n) for n in range(3, 43)]
    rows, problems = read(tmp_path, lines)
    assert by_line(problems) == {"line 4": UNCLOSED}
    assert patients(rows) == [f"Patient {n}" for n in range(1, 43)]
    assert [row.row for row in rows] == [2, 3, *range(5, 45)]
    assert len(rows) + len(problems) == len(lines)


@pytest.mark.parametrize(
    "stray",
    [
        'Stray Quote,,microneedling,2026-12-03,,,"',  # opens an empty last cell
        'Stray Quote,,"microneedling,2026-12-03,,,',  # opens a cell in the middle
        'Stray Quote,,microneedling,2026-12-03,,Dr Ruiz,"en',
    ],
)
def test_a_stray_quote_anywhere_in_a_row_is_reported_on_its_line(tmp_path, stray):
    rows, problems = read(tmp_path, [good(1), stray, good(2), good(3)])
    assert by_line(problems) == {"line 3": UNCLOSED}
    assert patients(rows) == ["Patient 1", "Patient 2", "Patient 3"]


def test_a_stray_quote_before_a_row_with_a_quoted_cell_does_not_join_them(tmp_path):
    rows, problems = read(
        tmp_path,
        [
            '"Stray Quote,,microneedling,,,,',
            'Lucía Pérez,,"chemical-peel, dermal-fillers",2026-12-04,,,es',
            good(1),
        ],
    )
    assert by_line(problems) == {"line 2": UNCLOSED}
    assert patients(rows) == ["Lucía Pérez", "Patient 1"]
    assert rows[0].treatments == ("chemical-peel", "dermal-fillers")


def test_a_quote_left_open_on_the_last_line_is_reported(tmp_path):
    rows, problems = read(tmp_path, [good(1), '"Last Row,,microneedling,,,,'])
    assert by_line(problems) == {"line 3": UNCLOSED}
    assert patients(rows) == ["Patient 1"]


def test_a_multi_line_notes_cell_is_read_and_rows_are_numbered_by_physical_line(tmp_path):
    notes = '"Allergic to latex,\nsee ""Dr Ruiz"", a, b, c\n\nno fragrance"'
    rows, problems = read(
        tmp_path,
        [good(1, notes=notes), good(2, notes=""), good(3, notes='"one\ntwo"')],
        header=NOTES_HEADER,
    )
    assert problems == []
    assert patients(rows) == ["Patient 1", "Patient 2", "Patient 3"]
    assert [row.where for row in rows] == ["lines 2-5", "line 6", "lines 7-8"]


def test_a_multi_line_cell_in_the_first_column_is_read(tmp_path):
    # Its last line alone ("...", then every other cell) has as many cells as the header.
    rows, problems = read(
        tmp_path,
        ['"first visit\nsecond line",' + good(1), "," + good(2)],
        header="notes," + HEADER,
    )
    assert problems == []
    assert [row.where for row in rows] == ["lines 2-3", "line 4"]


def test_a_line_in_used_columns_that_runs_over_lines_is_a_row_problem(tmp_path):
    rows, problems = read(tmp_path, ['"Ann\nLee",,microneedling,,,,', good(1)])
    assert by_line(problems) == {
        "lines 2-3": "patient_name: the cell runs over several lines; is a quote mark missing?"
    }
    assert patients(rows) == ["Patient 1"]


def test_crlf_and_lone_cr_line_endings_keep_physical_line_numbers(tmp_path):
    for newline in ("\r\n", "\r"):
        lines = [good(1, notes=f'"a{newline}b"'), "", good(2, notes=""), "Bad,,,,,,,"]
        rows, problems = read(tmp_path, lines, header=NOTES_HEADER, newline=newline)
        assert [row.where for row in rows] == ["lines 2-3", "line 5"], repr(newline)
        assert by_line(problems) == {"line 6": "treatment: choose at least one treatment"}


def test_a_200_kb_cell_in_an_ignored_column_is_read(tmp_path):
    huge = "x" * 200_000
    lines = [good(1, notes=huge), good(2, notes=f'"{huge}\n{huge}"'), good(3, notes="")]
    rows, problems = read(tmp_path, lines, header=NOTES_HEADER)
    assert problems == []
    assert patients(rows) == ["Patient 1", "Patient 2", "Patient 3"]


def test_a_200_kb_cell_in_a_used_column_is_a_row_problem(tmp_path):
    rows, problems = read(
        tmp_path, [good(1), "Ann Lee,,microneedling,,,Dr " + "x" * 200_000 + ",", good(2)]
    )
    assert by_line(problems) == {
        "line 3": f"practitioner: 200,003 characters, more than {MAX_CELL:,}; "
        'is a quote mark (") missing?'
    }
    assert patients(rows) == ["Patient 1", "Patient 2"]


def test_wrong_numbers_of_cells_are_reported_and_empty_extra_cells_are_not(tmp_path):
    rows, problems = read(
        tmp_path,
        [
            "Too Many,,microneedling,,,,,extra",
            "Too Few,,microneedling",
            "Trailing Commas,,microneedling,,,,,,",
            "Semi;colons;microneedling;;;;",
        ],
    )
    assert by_line(problems) == {
        "line 2": "8 cells but the header has 7; check the separators in this row",
        "line 3": "3 cells but the header has 7; check the separators in this row",
        "line 5": "1 cell but the header has 7; check the separators in this row",
    }
    assert patients(rows) == ["Trailing Commas"]


def test_nul_bytes_are_a_problem_only_in_a_column_we_use(tmp_path):
    rows, problems = read(
        tmp_path,
        [
            good(1, notes="before\x00after"),
            "Ann\x00Lee,,microneedling,,,,,",
            "Bo Chan,,micro\x00needling,,,,,",
        ],
        header=NOTES_HEADER,
    )
    assert patients(rows) == ["Patient 1"]
    assert by_line(problems)["line 3"] == "patient_name: contains control characters"
    assert by_line(problems)["line 4"].startswith(
        "treatment: unknown treatment 'micro\\x00needling'"
    )


def test_quotes_and_commas_in_names_are_read_as_written(tmp_path):
    rows, problems = read(
        tmp_path,
        [
            '"Haddad, Amira",,microneedling,,,"Dr ""Bob"" O\'Neill",',
            'Ann "Annie" Lee,,microneedling,,,,',
        ],
    )
    assert problems == []
    assert patients(rows) == ["Haddad, Amira", 'Ann "Annie" Lee']
    assert rows[0].appointment.practitioner == 'Dr "Bob" O\'Neill'


def test_a_file_that_is_one_giant_quoted_field_reports_every_line(tmp_path):
    body = [f"note {n}" for n in range(300)]
    rows, problems = read(tmp_path, ['"' + body[0], *body[1:], good(1) + '"', good(2)])
    assert rows and patients(rows) == ["Patient 2"]
    assert by_line(problems)["line 2"] == TOO_LONG
    # Every line after it is read again as a row of its own: one cell each, or the last one.
    assert len(problems) == 301
    assert problems[-1].where == "line 302"
    one_line = read(tmp_path, ['"' + "x" * 1_000_000])
    assert one_line[0] == [] and by_line(one_line[1]) == {"line 2": UNCLOSED}


def test_semicolons_keep_working_with_quotes_and_recovery(tmp_path):
    rows, problems = read(
        tmp_path,
        [
            'Lucía Pérez;;"chemical-peel; dermal-fillers";2026-12-04;09:00;Dr Ruiz;es;',
            '"Stray;;microneedling;;;;;',
            good(1, ";", notes=""),
            good(2, ";", notes='"line one\nline two; with a semicolon"'),
        ],
        header=NOTES_HEADER.replace(",", ";"),
    )
    assert by_line(problems) == {"line 3": UNCLOSED}
    assert patients(rows) == ["Lucía Pérez", "Patient 1", "Patient 2"]
    assert rows[0].treatments == ("chemical-peel", "dermal-fillers")
    assert rows[-1].where == "lines 5-6"


def test_every_record_not_blank_is_a_row_or_a_problem(tmp_path):
    lines = [
        good(1),
        "",
        ",,,,,,",
        good(1),  # a duplicate
        '"Stray,,microneedling,,,,',
        good(2),
        "Too Few,,",
        good(4, notes='"a\nb"'),  # one cell too many
        "Bad Date,,microneedling,soon,,,",
        good(3),
    ]
    rows, problems = read(tmp_path, lines)
    assert patients(rows) == ["Patient 1", "Patient 2", "Patient 3"]
    assert len(rows) + len(problems) == 8
    assert [(problem.where, problem.duplicate) for problem in problems] == [
        ("line 5", True),
        ("line 6", False),
        ("line 8", False),
        ("lines 9-10", False),
        ("line 11", False),
    ]
    assert problems[0].reason == "the same appointment as line 2; made once"
    assert problems[3].reason == (
        "8 cells but the header has 7; check its separators and quote marks"
    )


def test_a_stray_quote_closed_by_a_later_quote_is_one_problem_over_those_lines(tmp_path):
    # The lines between are not rows, so they are taken in until the quote closes.
    rows, problems = read(tmp_path, ['"Stray,,microneedling,,,,', "call back", 'later",', good(1)])
    assert by_line(problems) == {
        "lines 2-4": "2 cells but the header has 7; check its separators and quote marks"
    }
    assert patients(rows) == ["Patient 1"]


def test_a_stray_quote_before_a_row_with_a_multi_line_cell_leaves_that_row_whole(tmp_path):
    rows, problems = read(
        tmp_path,
        ['"Stray,,microneedling,,,,,', good(1, notes='"first\nsecond"'), good(2, notes="")],
        header=NOTES_HEADER,
    )
    assert by_line(problems) == {"line 2": UNCLOSED}
    assert [row.where for row in rows] == ["lines 3-4", "line 5"]


def test_a_stray_quote_in_notes_never_swallows_the_next_row_with_a_multi_line_cell(tmp_path):
    """The quote that would close the stray one opens the next row's notes (``,"two``):
    a closing quote is always followed by a separator or the line's end, so it was stray."""
    rows, problems = read(
        tmp_path,
        [good(1, notes='"oops'), good(2, notes='"two\nlines"'), good(3, notes="")],
        header=NOTES_HEADER,
    )
    assert by_line(problems) == {"line 2": UNCLOSED}
    assert patients(rows) == ["Patient 2", "Patient 3"]
    assert [row.where for row in rows] == ["lines 3-4", "line 5"]


def test_the_header_must_be_one_line(tmp_path):
    with pytest.raises(HandoutsError, match=r"line 1: a quote mark \(\"\) in the header never"):
        read(tmp_path, [good(1)], header='"patient_name,email,treatment')
    with pytest.raises(HandoutsError, match="the file is empty"):
        read(tmp_path, [], data=b"\xef\xbb\xbf")


def test_records_split_cells_as_the_csv_module_does(tmp_path):
    """Any table csv.writer writes reads back cell for cell (a fixed seed: the same each run)."""
    pieces = ["a", " ", '"', "\n", "\r\n", ",", ";", "\x00", "é" * 40]
    chance = random.Random(14)
    for _ in range(1500):
        delimiter = chance.choice(",;")

        def cell(delimiter: str) -> str:
            while True:  # no line of a cell may look like a whole row by itself
                text = "".join(chance.choices(pieces, k=chance.randint(0, 6)))
                if text.count(delimiter) <= 2:
                    return text

        table = [[cell(delimiter) for _ in range(7)] for _ in range(chance.randint(1, 5))]
        written = io.StringIO(newline="")
        ending = chance.choice(["\n", "\r\n"])
        csv.writer(written, delimiter=delimiter, lineterminator=ending).writerows(table)
        text = written.getvalue()
        # A blank line is [] to csv and [""] here; both are skipped.
        expected = [
            cells or [""]
            for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
        assert [cells for _, _, cells, _ in records(text, delimiter, 7)] == expected, text


@pytest.mark.parametrize("count", [MAX_RECORD_LINES, MAX_RECORD_LINES + 1])
def test_a_record_spans_at_most_the_limit_of_lines(tmp_path, count):
    notes = '"' + "\n".join(f"line {n}" for n in range(count)) + '"'
    lines = [good(1, notes=notes), good(2, notes="")]
    rows, problems = read(tmp_path, lines, header=NOTES_HEADER)
    if count == MAX_RECORD_LINES:
        assert problems == [] and rows[0].where == f"lines 2-{count + 1}"
    else:
        assert by_line(problems)["line 2"] == TOO_LONG
        assert patients(rows) == ["Patient 2"] and len(problems) == count


def test_batch_reports_rows_in_the_file_and_each_skipped_line(tmp_path, in_tmp):
    path = tmp_path / "appointments.csv"
    lines = [
        "Ann Lee,,microneedling,2026-12-03,10:30,,,",
        '"Stray Quote,,microneedling,,,,,',
        'Bo Chan,,chemical-peel,2026-12-04,,,,"first\nsecond"',
        "Cy Day,,no-such-treatment,,,,,",
        "Ann Lee,,microneedling,2026-12-03,10:30,,,",
    ]
    path.write_text("\n".join([NOTES_HEADER, *lines]) + "\n")
    result = CliRunner().invoke(cli, ["batch", str(path), "-o", "out", "--jobs", "1"])
    assert result.exit_code == 1
    assert result.stdout.startswith("The file had 5 rows. Made 2 leaflets in out (")
    assert result.stdout.endswith(", 1 duplicate of an earlier row, 2 skipped.\n")
    assert result.stderr.splitlines()[:3] == [
        "  line 7: the same appointment as line 2; made once",
        "2 rows skipped:",
        f"  line 3: {UNCLOSED}",
    ]
    assert result.stderr.splitlines()[3].startswith(
        "  line 6: treatment: unknown treatment 'no-such-treatment'; available: "
    )
    assert len(result.stderr.splitlines()) == 4
    assert sorted(path.name for path in (in_tmp / "out").iterdir()) == [
        "2026-12-03_Ann-Lee_microneedling.pdf",
        "2026-12-04_Bo-Chan_chemical-peel.pdf",
    ]


def test_email_reads_the_rows_after_a_stray_quote(clinic_kit, tmp_path):
    kit = clinic_kit(base="demo")
    path = tmp_path / "appointments.csv"
    path.write_text(
        f"{HEADER}\n"
        '"Stray Quote,stray@example.com,microneedling,,,,\n'
        "Ann Lee,ann@example.com,microneedling,2026-12-03,10:30,,\n"
    )
    report = run_email(path, kit, outbox=tmp_path / "out")
    assert [written.name for written in report.written] == [
        "2026-12-03_Ann-Lee_microneedling.leaflet.eml"
    ]
    assert report.problems == [(2, UNCLOSED)]


def test_the_batch_summary_counts_every_row_of_the_file(tmp_path):
    out = tmp_path / "out"
    assert batch_summary(BatchReport(), out) == f"The file had 0 rows. Made 0 leaflets in {out}."
    report = BatchReport(
        made=[out / "a.pdf"],
        up_to_date=[out / "b.pdf", out / "c.pdf"],
        problems=[RowProblem(4, "bad", last_line=6), RowProblem(7, "again", duplicate=True)],
        stamped=1,
    )
    assert batch_summary(report, out) == (
        f"The file had 5 rows. Made 1 leaflet in {out} (1 stamped, 0 rendered in full), "
        "2 already up to date, 1 duplicate of an earlier row, 1 skipped."
    )
    assert [problem.where for problem in report.problems] == ["lines 4-6", "line 7"]
