"""A section shown in another language than the leaflet's keeps its own direction and tag."""

from __future__ import annotations

import re

import pdfplumber
import pytest
from conftest import block_file

from handouts import assemble_html, build_handout, load_clinic
from handouts.content import ContentLibrary
from handouts.context import TranslationWarning, leaflet_context, render_block

# The built-in microneedling leaflet has Arabic title, aftercare and risks; the other
# sections fall back to English.
ENGLISH_FALLBACKS = ["about", "what-to-expect", "benefits", "before", "alternatives"]
ARABIC = ["aftercare", "risks"]
SECTION = re.compile(r'<section class="block block-([a-z-]+)[^"]*" id="[^"]+"([^>]*)>')


def arabic_context():
    with pytest.warns(TranslationWarning):
        return leaflet_context(["microneedling"], load_clinic(), language="ar")


def test_an_english_fallback_section_keeps_its_language_and_direction():
    context = arabic_context()
    assert (context.language, context.direction) == ("ar", "rtl")
    (treatment,) = context.treatments
    assert (treatment.language, treatment.direction) == ("ar", "rtl")
    sections = {block.name: (block.language, block.direction) for block in treatment.blocks}
    assert {name: sections[name] for name in ENGLISH_FALLBACKS} == dict.fromkeys(
        ENGLISH_FALLBACKS, ("en", "ltr")
    )
    assert {name: sections[name] for name in ARABIC} == dict.fromkeys(ARABIC, ("ar", "rtl"))


def test_an_untranslated_title_keeps_its_language_and_direction_beside_arabic_sections(clinic_kit):
    kit = clinic_kit(
        {
            "content/peel/treatment.yaml": (
                "title: Chemical peel\nsummary: A gentle acid lifts dead skin.\nblocks: [about]\n"
            ),
            "content/peel/about.md": block_file("A peel lifts dead skin."),
            "content/peel/about.ar.md": block_file("التقشير يزيل الجلد الميت.", "عن التقشير"),
        }
    )
    with pytest.warns(TranslationWarning, match="title and summary"):
        context = leaflet_context(["peel"], load_clinic(kit), language="ar")
    (treatment,) = context.treatments
    assert (treatment.language, treatment.direction) == ("en", "ltr")
    assert [(block.language, block.direction) for block in treatment.blocks] == [("ar", "rtl")]


def test_a_block_renders_in_its_own_languages_direction_unless_told():
    clinic = load_clinic()
    library = ContentLibrary(None)
    treatment = library.treatment("microneedling", "ar")
    blocks = {block.name: block for block in library.blocks(treatment, "ar")}
    assert render_block(blocks["risks"], clinic).direction == "rtl"
    assert render_block(blocks["about"], clinic).direction == "ltr"
    assert render_block(blocks["about"], clinic, "rtl").direction == "rtl"


def test_the_assembled_html_tags_english_sections_lang_en_dir_ltr():
    with pytest.warns(TranslationWarning):
        html = assemble_html(["microneedling"], load_clinic(), language="ar").html
    assert '<html lang="ar" dir="rtl">' in html
    attributes = dict(SECTION.findall(html))
    for name in ENGLISH_FALLBACKS:
        assert ' lang="en" dir="ltr"' in attributes[name], (name, attributes[name])
    for name in ARABIC:  # in the page's own language: inherited, not repeated
        assert "lang=" not in attributes[name] and "dir=" not in attributes[name]


def test_english_fallback_text_reads_left_to_right_in_an_arabic_language_pdf(tmp_path):
    with pytest.warns(TranslationWarning):
        result = build_handout(["microneedling"], output=tmp_path / "ar.pdf", language="ar")
    with pdfplumber.open(result.path) as pdf:
        lines = [line for page in pdf.pages for line in page.extract_text().splitlines()]
    # Laid out right to left, an English sentence's full stop or question mark lands at the
    # start of its line: "?What is microneedling", ".small pen or roller with many fine needles".
    assert "What is microneedling?" in lines
    assert "?What is microneedling" not in lines
    backwards = [line for line in lines if re.match(r"[.?,!][A-Za-z]", line)]
    assert not backwards, backwards
