"""Leaflets in other languages: translated blocks, labels and dates, English fallback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import block_file
from pdfcheck import reader, text

from handouts import assemble_html, build_handout, load_clinic
from handouts.cli import cli
from handouts.context import TranslationWarning
from handouts.errors import HandoutsError
from handouts.labels import LabelWarning


def spanish_kit(clinic_kit):
    """The demo clinic with a treatment of its own, half translated into Spanish."""
    return clinic_kit(
        {
            "content/peel/treatment.yaml": "title: Peel\nalso_known_as: [Skin peel]\n"
            "summary: A gentle peel.\nblocks: [about, aftercare]\n",
            "content/peel/treatment.es.yaml": (
                "title: Peeling\nalso_known_as: [Exfoliación química]\nsummary: Un peeling suave.\n"
            ),
            "content/peel/about.md": block_file("It is a skin treatment.", title="What is it?"),
            "content/peel/about.es.md": block_file(
                "Es un tratamiento de la piel.", title="¿Qué es?"
            ),
            "content/peel/aftercare.md": block_file("Keep out of the sun.", title="Afterwards"),
        },
        base="demo",
    )


def test_spanish_leaflet_uses_translations_labels_and_dates(clinic_kit, tmp_path):
    kit = spanish_kit(clinic_kit)
    with pytest.warns(TranslationWarning) as caught:
        result = build_handout(["peel"], clinic_dir=kit, output=tmp_path / "es.pdf", language="es")
    assert [str(warning.message) for warning in caught] == [
        "peel: no Spanish translation of aftercare; those parts are in English"
    ]
    content = text(result.path)
    for expected in (
        "Peeling",
        "También se conoce como Exfoliación química.",
        "¿Qué es?",
        "Es un tratamiento de la piel.",
        "Keep out of the sun.",
        "Cuándo llamarnos",
        "Llame al 020 7946 0321",
        "Página 1 de 1",
        "INFORMACIÓN PARA PACIENTES",
        "Texto de muestra: su clínica aún no lo ha revisado",
        "revisado el 1 de octubre de 2026",
        "llame al NHS 111 para pedir consejo, o al 999 en una emergencia",
        "Northbank Skin Clinic es una clínica ficticia",
    ):
        assert expected in content, expected
    document = reader(result.path)
    assert document.trailer["/Root"]["/Lang"] == "es"
    assert document.metadata.title == "Peeling: información para pacientes"


def test_untranslated_sections_are_marked_english_for_screen_readers(clinic_kit):
    kit = clinic_kit(
        {
            "content/microneedling/about.es.md": block_file("Texto.", title="¿Qué es?"),
            "content/microneedling/risks.md": block_file("Call us."),  # kit's own, English only
        },
        base="demo",
    )
    with pytest.warns(TranslationWarning):
        html = assemble_html(["microneedling"], load_clinic(kit), language="es").html
    assert '<html lang="es">' in html
    assert 'id="microneedling-about">' in html  # translated: inherits lang="es"
    assert 'id="microneedling-risks" lang="en" dir="ltr">' in html  # the kit's English wins


def test_a_language_without_labels_falls_back_to_english_with_a_warning(tmp_path):
    with (
        pytest.warns(LabelWarning, match=r"no labels for language 'de'"),
        pytest.warns(TranslationWarning, match=r"microneedling: no German translation yet"),
    ):
        html = assemble_html(["microneedling"], load_clinic(), language="de").html
    assert "When to call us" in html and '<html lang="de">' in html


def test_kit_can_override_labels(clinic_kit):
    kit = clinic_kit({"templates/labels/en.yaml": "call_us_title: Need us?\n"}, base="demo")
    html = assemble_html(["microneedling"], load_clinic(kit)).html
    assert "<h2>Need us?</h2>" in html and "Patient information" in html


def test_unknown_language_is_a_one_line_error():
    with pytest.raises(HandoutsError) as caught:
        assemble_html(["microneedling"], load_clinic(), language="xx")
    assert caught.value.message == (
        "language: 'xx' is not a language code (use e.g. 'en', 'en-GB' or 'es')"
    )


def test_cli_lang_option_and_warning(clinic_kit, in_tmp):
    kit = spanish_kit(clinic_kit)
    result = CliRunner().invoke(
        cli, ["build", "peel", "--clinic", str(kit), "--lang", "es", "--html"]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: peel: no Spanish translation of aftercare; those parts are in English\n"
    )
    assert '<html lang="es">' in (in_tmp / "peel.html").read_text()
