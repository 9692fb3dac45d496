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
SPANISH = TREATMENTS
ARABIC = ["chemical-peel", "dermal-fillers", "microneedling"]
TODAY = date(2026, 12, 1)
"""The day every built-in section was last checked against its sources."""
BRAND_NAMES = re.compile(
    r"\b(botox|dysport|xeomin|juvederm|juvéderm|restylane|sculptra|radiesse|hydrafacial|"
    r"dermapen|skinpen|obagi|fraxel|vbeam|clear ?\+ ?brilliant)\b",
    re.IGNORECASE,
)


def test_the_library_has_twenty_treatments():
    assert set(TREATMENTS) == {
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
        "laser-hair-removal",
        "radiofrequency-microneedling",
        "skin-boosters",
        "acne-prescription-skincare",
        "cryolipolysis",
        "tattoo-removal",
        "vascular-laser",
        "hifu-skin-tightening",
        "excessive-sweating-injections",
        "skin-lesion-removal",
    }


@pytest.mark.parametrize("slug", TREATMENTS)
def test_every_treatment_has_complete_plain_language_blocks(slug):
    treatment = LIBRARY.treatment(slug)
    assert tuple(treatment.meta.blocks) == STANDARD_BLOCKS
    assert 1 <= len(treatment.meta.more_information) <= 2
    assert all(re.match(r"https?://", page.url or "") for page in treatment.meta.more_information)
    blocks = {block.name: block for block in LIBRARY.blocks(treatment)}
    for block in blocks.values():
        assert block.meta.title and block.meta.version and block.meta.sources
        assert block.meta.reviewed <= TODAY < block.meta.review_due
        assert not BRAND_NAMES.search(block.body), f"{block.key}: brand name"
        for source in block.meta.sources:  # traceable: a publisher and a web address
            assert source.publisher and "seed source" not in source.publisher, block.key
            assert re.match(r"https?://[^/\s]+\.[a-z]+", source.url or ""), (block.key, source)
    addressed = [block for block in blocks.values() if re.search(r"\byour?\b", block.body, re.I)]
    assert len(addressed) >= len(blocks) - 1, "write to the reader: 'you', 'your'"
    risks = blocks["risks"].body
    assert "{{ clinic.phone }}" in risks
    assert re.search(r"emergency (services|care)", risks, re.I), "which signs need emergency care"
    assert "**Doing nothing.**" in blocks["alternatives"].body


@pytest.mark.parametrize("slug", TREATMENTS)
def test_a_high_temperature_is_same_day_care_never_an_emergency_call(slug):
    """Emergency services are for breathing, sight, stroke signs, collapse; not for a fever."""
    for language in ("en", "es"):
        treatment = LIBRARY.treatment(slug, language)
        risks = LIBRARY.block(treatment, "risks", language).body
        for paragraph in re.split(r"\n\s*\n", risks):
            if re.search(r"high temperature|fever|fiebre|temperatura alta", paragraph, re.I):
                assert not re.match(
                    r"\W*(Get emergency care|Call emergency services|Busque atención de "
                    r"emergencia|Llame a (los )?servicios de emergencia)",
                    paragraph,
                    re.I,
                ), (slug, language, paragraph[:120])


SAFETY_WORDS = {
    "dermal-fillers": ["hyaluronidase", "blindness", "stroke", "autoimmune", "permanent filler"],
    "prp-microneedling": ["sealed kit", "Only your own blood", "CDC"],
    "chemical-peel": ["cool, clean water", "aspirin"],
    "laser-skin-resurfacing": ["eye shields", "test a small patch"],
    "ipl-photofacial": ["melasma"],
}
"""Safety items issue 16 named, as they must read in the built leaflet."""


@pytest.mark.parametrize("slug", sorted(SAFETY_WORDS))
def test_the_named_safety_items_are_in_the_built_leaflet(slug, tmp_path):
    result = build_handout([slug], output=tmp_path / f"{slug}.pdf")
    words = " ".join(text(result.path).split())
    for item in SAFETY_WORDS[slug]:
        assert item.lower() in words.lower(), (slug, item)


@pytest.mark.parametrize("slug", SPANISH)
def test_spanish_translations_are_complete(slug):
    # That each Spanish leaflet fits, in every layout and paper, with every section's
    # heading printed, is test_small_layouts' proof of the whole library.
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


def test_list_shows_every_treatment_with_its_languages():
    result = CliRunner().invoke(cli, ["list", "--json"])
    import json

    rows = {row["name"]: row["languages"] for row in json.loads(result.output)}
    assert set(rows) == set(TREATMENTS)
    for slug in TREATMENTS:
        expected = ["en", "ar", "es"] if slug in ARABIC else ["en", "es"]
        assert rows[slug] == expected


def test_builtin_library_passes_check_strictly():
    # --quick: every leaflet of the library is made and proofed in test_small_layouts.
    result = CliRunner().invoke(cli, ["check", "--quick", "--strict", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
