"""Personal copies: the "Your appointment" panel, and patient values kept as plain data."""

from __future__ import annotations

from datetime import date, time

import pytest
from click.testing import CliRunner
from pdfcheck import assert_footer_clear_of_body, fonts, qr_codes, text

from handouts import assemble_html, build_handout, load_clinic
from handouts.appointments import Appointment
from handouts.cli import cli
from handouts.errors import HandoutsError

VISIT = dict(date=date(2026, 12, 3), time=time(10, 30), practitioner="Dr Sarah O'Neill")


def test_panel_shows_name_date_time_practitioner_and_booking(tmp_path, weasyprint_log):
    appointment = Appointment(patient="Amira Haddad", **VISIT)
    result = build_handout(["microneedling"], output=tmp_path / "p.pdf", appointment=appointment)
    content = text(result.path)
    assert content.count("14 Riverside Walk, Northbank, NB1 4QT") == 1  # in the panel only
    for expected in (
        "YOUR APPOINTMENT",
        "Amira Haddad",
        "Thursday, 3 December 2026 at 10:30",
        "with Dr Sarah O'Neill",
        "Change or book online: northbank-skin.example/book",
    ):
        assert expected in content
    assert result.pages == 2 and weasyprint_log == []
    # The booking QR code sits in the panel, so it is not repeated at the end.
    assert qr_codes(result.path, 0) == ["https://northbank-skin.example/book"]
    assert qr_codes(result.path, 1) == []
    assert "Book or change an appointment online" not in content


def test_panel_speaks_the_leaflet_language(tmp_path):
    appointment = Appointment(patient="Lucía Pérez", date=date(2026, 12, 3), time=time(16, 45))
    result = build_handout(
        ["microneedling"], output=tmp_path / "es.pdf", language="es", appointment=appointment
    )
    assert "SU CITA" in text(result.path)
    assert "jueves, 3 de diciembre de 2026 a las 16:45" in text(result.path)


@pytest.mark.parametrize(
    "name",
    [
        "{{ clinic.phone }}",
        "<script>alert(1)</script>",
        "<b>Bold</b> & {% raw %}",
        "{{ 7*7 }}",
    ],
)
def test_patient_values_are_data_never_markup_or_templates(tmp_path, name):
    appointment = Appointment(patient=name, practitioner=name)
    handout = assemble_html(["microneedling"], load_clinic(), appointment=appointment)
    assert "<script>alert" not in handout.html and "<b>Bold" not in handout.html
    result = build_handout(["microneedling"], output=tmp_path / "x.pdf", appointment=appointment)
    assert name in text(result.path)


def test_a_very_long_name_wraps_inside_the_panel(tmp_path):
    name = (
        "Maximiliana Alexandra Konstantinopoulou-Papadimitriou-Vanderbilt de la Cruz y "
        "Montenegro III"
    )
    assert len(name) > 80
    result = build_handout(
        ["microneedling"],
        output=tmp_path / "long.pdf",
        appointment=Appointment(patient=name, **VISIT),
    )
    assert name in text(result.path).replace("- ", "-")
    assert result.pages <= 3
    assert_footer_clear_of_body(result.path)


@pytest.mark.parametrize(
    ("name", "font"),
    [
        ("محمد عبد الله", "Noto-Sans-Arabic"),
        ("דוד כהן", "Noto-Sans-Hebrew"),
        ("王小明", "Noto-Sans-SC"),
        ("Мария Иванова", "Noto-Sans"),
    ],
)
def test_non_latin_and_right_to_left_names_use_a_font_that_has_them(tmp_path, name, font):
    result = build_handout(
        ["microneedling"], output=tmp_path / "n.pdf", appointment=Appointment(patient=name)
    )
    used = fonts(result.path)
    assert any(embedded.split("+", 1)[-1].startswith(font) for embedded in used), used
    assert all(used.values())
    if font != "Noto-Sans-Arabic":  # Arabic is extracted as shaped presentation forms
        assert name in text(result.path)


def test_a_name_no_font_can_print_is_refused_not_boxed():
    with pytest.raises(HandoutsError) as caught:
        assemble_html(["microneedling"], load_clinic(), appointment=Appointment(patient="김민준"))
    assert caught.value.message == (
        "patient: no bundled font can print 김 민 준; write the name in Latin, Greek, Cyrillic, "
        "Arabic, Hebrew or Chinese letters"
    )


def test_cli_personal_options(in_tmp):
    result = CliRunner().invoke(
        cli,
        [
            "build",
            "microneedling",
            "--patient",
            "Amira Haddad",
            "--date",
            "2026-12-03",
            "--time",
            "10:30",
            "--practitioner",
            "Dr Sarah O'Neill",
            "-o",
            "amira.pdf",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Thursday, 3 December 2026 at 10:30" in text(in_tmp / "amira.pdf")
    bad = CliRunner().invoke(cli, ["build", "microneedling", "--date", "3/12/2026"])
    assert bad.exit_code == 2 and "'3/12/2026' is not a date; use YYYY-MM-DD" in bad.output


def test_leaflets_without_an_appointment_have_no_panel():
    assert "Your appointment" not in assemble_html(["microneedling"], load_clinic()).html
