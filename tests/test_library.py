"""The whole built-in library: every treatment builds, reads well and says what it must."""

from __future__ import annotations

import re
from datetime import date

import pytest
from click.testing import CliRunner
from pdfcheck import text

from handouts import build_handout
from handouts.cli import cli
from handouts.content import STANDARD_BLOCKS, ContentLibrary
from handouts.paths import builtin_dir

LIBRARY = ContentLibrary()
TREATMENTS = LIBRARY.slugs()
SPANISH = ["microneedling", "chemical-peel", "dermal-fillers"]
BRAND_NAMES = re.compile(
    r"\b(botox|dysport|xeomin|juvederm|juvéderm|restylane|sculptra|radiesse|hydrafacial|"
    r"dermapen|skinpen|obagi|fraxel|vbeam|clear ?\+ ?brilliant)\b",
    re.IGNORECASE,
)


def test_the_library_has_ten_treatments():
    assert len(TREATMENTS) == 10
    assert {
        "microneedling",
        "chemical-peel",
        "laser-skin-resurfacing",
        "ipl-photofacial",
        "dermal-fillers",
        "anti-wrinkle-injections",
        "hydrodermabrasion-facial",
        "prp-microneedling",
        "led-light-therapy",
        "dermaplaning",
    } == set(TREATMENTS)


@pytest.mark.parametrize("slug", TREATMENTS)
def test_every_treatment_has_complete_plain_language_blocks(slug):
    treatment = LIBRARY.treatment(slug)
    assert tuple(treatment.meta.blocks) == STANDARD_BLOCKS
    blocks = {block.name: block for block in LIBRARY.blocks(treatment)}
    for block in blocks.values():
        assert block.meta.title and block.meta.version and block.meta.sources
        assert block.meta.reviewed <= date(2026, 11, 22) < block.meta.review_due
        assert not BRAND_NAMES.search(block.body), f"{block.key}: brand name"
    addressed = [block for block in blocks.values() if re.search(r"\byour?\b", block.body, re.I)]
    assert len(addressed) >= len(blocks) - 1, "write to the reader: 'you', 'your'"
    assert "Call us on {{ clinic.phone }} if you have:" in blocks["risks"].body
    assert "**Get urgent help.**" in blocks["risks"].body
    assert "**Doing nothing.**" in blocks["alternatives"].body


@pytest.mark.parametrize("slug", TREATMENTS)
def test_every_treatment_fits_two_pages_on_a4_and_letter(slug, tmp_path, weasyprint_log):
    titles = [block.meta.title for block in LIBRARY.blocks(LIBRARY.treatment(slug))]
    for paper in ("a4", "letter"):
        result = build_handout([slug], output=tmp_path / f"{paper}.pdf", paper=paper)
        assert result.pages <= 2, f"{slug} on {paper}: {result.pages} pages"
        content = text(result.path)
        for title in titles:
            assert title in content
    assert weasyprint_log == []


@pytest.mark.parametrize("slug", SPANISH)
def test_spanish_translations_are_complete_and_fit(slug, tmp_path, recwarn):
    folder = builtin_dir("content") / slug
    assert (folder / "treatment.es.yaml").is_file()
    for name in STANDARD_BLOCKS:
        english = LIBRARY.block(LIBRARY.treatment(slug), name)
        spanish = LIBRARY.block(LIBRARY.treatment(slug, "es"), name, "es")
        assert spanish.language == "es"
        assert spanish.meta.version == english.meta.version
        assert set(re.findall(r"\{\{.*?\}\}", spanish.body)) == set(
            re.findall(r"\{\{.*?\}\}", english.body)
        )
    for paper in ("a4", "letter"):
        result = build_handout([slug], output=tmp_path / f"{paper}.pdf", paper=paper, language="es")
        assert result.pages <= 2, f"{slug} in Spanish on {paper}: {result.pages} pages"
        assert "Cuándo llamarnos" in text(result.path)
    assert not [warning for warning in recwarn if "translation" in str(warning.message)]


def test_list_shows_every_treatment_with_its_languages():
    result = CliRunner().invoke(cli, ["list", "--json"])
    import json

    rows = {row["name"]: row["languages"] for row in json.loads(result.output)}
    assert set(rows) == set(TREATMENTS)
    for slug in TREATMENTS:
        expected = ["en", "es"] if slug in SPANISH else ["en"]
        if slug == "microneedling":
            expected.insert(1, "ar")  # the aftercare card's sections
        assert rows[slug] == expected


def test_builtin_library_passes_check_strictly():
    result = CliRunner().invoke(cli, ["check", "--strict", "--today", "2026-11-22"])
    assert result.exit_code == 0, result.output
