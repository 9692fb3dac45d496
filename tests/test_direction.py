"""A section shown in another language than the leaflet's keeps its own direction and tag."""

from __future__ import annotations

import re
import shutil

import pdfplumber
import pytest
from conftest import block_file

from handouts import assemble_html, build_handout, load_clinic
from handouts.content import ContentLibrary
from handouts.context import TranslationWarning, leaflet_context, render_block
from handouts.paths import DEMO_CLINIC_DIR

# The built-in microneedling leaflet is Arabic throughout. A kit's own English sections win
# over a built-in translation, so in this kit's Arabic leaflet they fall back to English
# while aftercare and risks stay Arabic.
ENGLISH_FALLBACKS = ["about", "what-to-expect", "benefits", "before", "alternatives"]
ARABIC = ["aftercare", "risks"]
SECTION = re.compile(r'<section class="block block-([a-z-]+)[^"]*" id="[^"]+"([^>]*)>')


@pytest.fixture(scope="module")
def partly_arabic(tmp_path_factory):
    """The demo clinic with its own English copies of five microneedling sections."""
    kit = tmp_path_factory.mktemp("partly-arabic") / "kit"
    shutil.copytree(DEMO_CLINIC_DIR, kit)
    builtin = ContentLibrary(None).treatment("microneedling").path
    (kit / "content" / "microneedling").mkdir(parents=True, exist_ok=True)
    for name in ENGLISH_FALLBACKS:
        shutil.copy(builtin / f"{name}.md", kit / "content" / "microneedling" / f"{name}.md")
    return load_clinic(kit)


def arabic_context(clinic):
    with pytest.warns(TranslationWarning):
        return leaflet_context(["microneedling"], clinic, language="ar")


def test_an_english_fallback_section_keeps_its_language_and_direction(partly_arabic):
    context = arabic_context(partly_arabic)
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


def test_a_block_renders_in_its_own_languages_direction_unless_told(partly_arabic):
    clinic = partly_arabic
    library = ContentLibrary(clinic.kit_dir)
    treatment = library.treatment("microneedling", "ar")
    blocks = {block.name: block for block in library.blocks(treatment, "ar")}
    assert render_block(blocks["risks"], clinic).direction == "rtl"
    assert render_block(blocks["about"], clinic).direction == "ltr"
    assert render_block(blocks["about"], clinic, "rtl").direction == "rtl"


def test_the_assembled_html_tags_english_sections_lang_en_dir_ltr(partly_arabic):
    with pytest.warns(TranslationWarning):
        html = assemble_html(["microneedling"], partly_arabic, language="ar").html
    assert '<html lang="ar" dir="rtl">' in html
    attributes = dict(SECTION.findall(html))
    for name in ENGLISH_FALLBACKS:
        assert ' lang="en" dir="ltr"' in attributes[name], (name, attributes[name])
    for name in ARABIC:  # in the page's own language: inherited, not repeated
        assert "lang=" not in attributes[name] and "dir=" not in attributes[name]


def test_english_fallback_text_reads_left_to_right_in_an_arabic_language_pdf(
    partly_arabic, tmp_path
):
    with pytest.warns(TranslationWarning):
        result = build_handout(
            ["microneedling"], partly_arabic.kit_dir, tmp_path / "ar.pdf", language="ar"
        )
    with pdfplumber.open(result.path) as pdf:
        lines = [line for page in pdf.pages for line in page.extract_text().splitlines()]
    # Laid out right to left, an English sentence's full stop or question mark lands at the
    # start of its line: "?What is microneedling", ".small pen or roller with many fine needles".
    assert "What is microneedling?" in lines
    assert "?What is microneedling" not in lines
    backwards = [line for line in lines if re.match(r"[.?,!][A-Za-z]", line)]
    assert not backwards, backwards
