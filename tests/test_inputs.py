"""One input layer: the command line, the CSV, the web form and the API read values alike."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pdfcheck import text

from handouts import build_handout
from handouts.appointment_csv import read_appointments
from handouts.cli import cli
from handouts.content import ContentLibrary
from handouts.errors import (
    DoesNotFit,
    HandoutsError,
    InputError,
    RenderError,
    UnknownTreatment,
)
from handouts.web import create_app

HEADER = "patient_name,email,treatment,date,time,practitioner,language"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app = create_app(cache_dir=tmp_path_factory.mktemp("cache"), workers=1, prepare=False)
    yield app.test_client()
    app.extensions["handouts"].maker.close()


def csv_reason(tmp_path: Path, cells: dict[str, str]) -> str | None:
    """The reason the CSV reader gives for one row, or None when the row is good."""
    row = {"patient_name": "Ann Lee", "treatment": "microneedling", **cells}
    line = ",".join(row.get(name, "") for name in HEADER.split(","))
    path = tmp_path / "a.csv"
    path.write_text(f"{HEADER}\n{line}\n", encoding="utf-8")
    _, problems = read_appointments(path, ContentLibrary())
    return problems[0].reason if problems else None


def api_answer(client, query: str) -> tuple[int, str]:
    response = client.get(f"/api/leaflet.pdf?treatment=microneedling&{query}")
    if response.mimetype == "application/pdf":
        return response.status_code, ""
    return response.status_code, response.get_json()["error"]


MISTAKES = [
    ("date", "2026-W49-4", "'2026-W49-4' is not a date; use YYYY-MM-DD, e.g. 2026-03-14"),
    ("date", "03/12/2026", "'03/12/2026' is not a date; use YYYY-MM-DD, e.g. 2026-03-14"),
    ("time", "9pm", "'9pm' is not a time; use HH:MM (24-hour), e.g. 14:30"),
    ("time", "25:00", "'25:00' is not a time; use HH:MM (24-hour), e.g. 14:30"),
]


@pytest.mark.parametrize(("field", "value", "problem"), MISTAKES)
def test_the_same_mistake_gets_the_same_words_everywhere(tmp_path, api, field, value, problem):
    assert csv_reason(tmp_path, {field: value}) == f"{field}: {problem}"
    assert api_answer(api, f"{field}={value}") == (400, f"{field}: {problem}")
    result = CliRunner().invoke(cli, ["build", "microneedling", f"--{field}", value])
    assert result.exit_code == 2
    assert f"Invalid value for '--{field}': {problem}" in result.output


def test_a_language_mistake_reads_alike(tmp_path, api):
    problem = "'xx' is not a language code (use e.g. 'en', 'en-GB' or 'es')"
    assert csv_reason(tmp_path, {"language": "xx"}) == f"language: {problem}"
    assert api_answer(api, "lang=xx") == (400, f"lang: {problem}")
    result = CliRunner().invoke(cli, ["build", "microneedling", "--lang", "xx"])
    assert f"Invalid value for '--lang': {problem}" in result.output


@pytest.mark.parametrize("hour", ["9:30", "09:30", "9.30"])
def test_a_time_without_its_leading_zero_is_taken_everywhere(tmp_path, api, in_tmp, hour):
    assert csv_reason(tmp_path, {"time": hour, "date": "2026-12-03"}) is None
    assert api_answer(api, f"patient=Ann+Lee&date=2026-12-03&time={hour}") == (200, "")
    result = CliRunner().invoke(
        cli, ["build", "microneedling", "--patient", "Ann Lee", "--date", "2026-12-03",
              "--time", hour, "-o", "ann.pdf"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Thursday, 3 December 2026 at 09:30" in text(in_tmp / "ann.pdf")


@pytest.mark.parametrize(
    ("value", "large"),
    [("off", False), ("no", False), ("0", False), ("on", True), ("Yes", True), ("true", True)],
)
def test_large_print_takes_every_way_of_saying_yes_or_no(api, value, large):
    assert api_answer(api, f"large_print={value}") == (200, "")


def test_layout_and_paper_take_any_case(api):
    assert api_answer(api, "layout=Card&paper=Letter") == (200, "")
    result = CliRunner().invoke(cli, ["build", "microneedling", "--paper", "LETTER", "--html"])
    assert result.exit_code == 0, result.output


def test_a_trifold_on_a5_is_refused_in_the_same_words(api, in_tmp):
    assert api_answer(api, "layout=trifold&paper=a5") == (
        400,
        "paper: a tri-fold needs A4 or US Letter paper",
    )
    with pytest.raises(InputError) as caught:
        build_handout(["microneedling"], layout="trifold", paper="a5")
    assert caught.value.message == "paper: a tri-fold needs A4 or US Letter paper"


def test_library_messages_name_the_problem_not_a_command_line_flag(tmp_path, in_tmp):
    with pytest.raises(InputError) as caught:
        build_handout(["microneedling"], language="xx")
    assert caught.value.message.startswith("language: 'xx' is not a language code")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if locked.stat().st_mode & 0o200 == 0 and not _root():
        with pytest.raises(HandoutsError) as caught:
            build_handout(["microneedling"], output=locked / "x.pdf")
        assert caught.value.message.endswith("choose a folder you can save to")
        assert "-o" not in caught.value.message


def _root() -> bool:
    import os

    return os.geteuid() == 0


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InputError("date: 'x' is not a date"), 400),
        (UnknownTreatment("treatment: unknown treatment 'x'"), 404),
        (DoesNotFit("microneedling/risks: does not fit on the one-page card"), 422),
        (RenderError("logo.svg: cannot be read"), 500),
    ],
)
def test_errors_carry_their_http_status_and_cross_processes(error, status):
    assert isinstance(error, HandoutsError) and error.http_status == status
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and again.message == error.message


def test_one_place_decides_and_records_every_leaflet():
    """Only the road renders leaflets or builds their records; callers ask it."""
    source = Path(__file__).parents[1] / "src" / "handouts"
    callers = {
        path.relative_to(source).as_posix()
        for path in source.rglob("*.py")
        if re.search(r"\b(render_handout|leaflet_record|PersonalCopies)\(", path.read_text())
    }
    # build.py defines render_handout, and calls it again to move a tri-fold's flap section.
    assert callers == {"build.py", "leaflet.py", "copies.py"}
