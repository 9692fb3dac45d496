"""Leaflets the sheet is too small for: the large-print tri-fold (made whenever its text fits
five panels at 16 pt) and the two-sided large-print A5 card (made whenever its sections fit
two sides). Refused, saying how much room the text needs, only when no arrangement and no
short version could hold it; otherwise the refusal names the section to shorten."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import block_file
from pdfcheck import reader, text

from handouts import build_handout
from handouts.cli import cli
from handouts.errors import DoesNotFit, SheetTooSmall

SECTIONS = ("about", "what-to-expect", "benefits", "before", "aftercare", "risks")


def test_a_long_treatment_cannot_be_a_large_print_trifold_and_says_why(tmp_path):
    with pytest.raises(SheetTooSmall) as error:
        build_handout(
            ["microneedling"], None, tmp_path / "t.pdf", layout="trifold", large_print=True
        )
    message = error.value.message
    assert message.startswith("microneedling: cannot be a large-print tri-fold (A4): at 16 pt")
    panels = float(re.search(r"fill about (\d+\.\d) panels", message).group(1))
    assert panels > 5  # more than the flap, the cover and the three inside panels together
    assert "large-print leaflet or the two-sided large-print card" in message
    assert not (tmp_path / "t.pdf").exists()


def test_a_short_treatment_makes_a_large_print_trifold(clinic_kit, tmp_path):
    files = {
        f"content/microneedling/{name}.md": block_file(
            f"A short {name} text. Call us if you are worried.", title=f"About {name}"
        )
        for name in SECTIONS
    }
    kit = clinic_kit(files, base="demo")
    made = build_handout(
        ["microneedling"], kit, tmp_path / "t.pdf", layout="trifold", large_print=True
    )
    pages = reader(made.path).pages
    assert len(pages) == 2 and pages[0].mediabox.width > pages[0].mediabox.height
    outside, inside = (" ".join(page.extract_text().split()) for page in pages)
    for name in SECTIONS:
        assert f"About {name}" in outside + inside
    # In large print the small print follows the inside's text, at the text's size.
    assert "general information" in inside and "general information" not in outside
    assert "Northbank Skin Clinic" in outside and "020 7946 0321" in outside


def test_proof_reports_it_apart_from_the_problems(in_tmp):
    options = ["--treatment", "microneedling", "--layout", "trifold", "--paper", "a4"]
    result = CliRunner().invoke(cli, ["proof", *options])
    lines = result.stdout.splitlines()
    assert (
        "Cannot be made: microneedling, trifold, a4, en, large print: microneedling: cannot "
        "be a large-print tri-fold (A4)" in result.stdout
    )
    assert not any(line.startswith("microneedling, ") for line in lines), result.stdout
    assert result.exit_code == 0, result.output
    assert "Proofed 3 leaflets (3 more cannot be made: the sheet is too small)" in result.stdout
    sheet = text(in_tmp / "proof.pdf")
    assert "cannot be made" in sheet and "fill about" in sheet


def _card_kit(clinic_kit, short_versions: tuple[str, ...]):
    long_text = "\n\n".join(["Keep the area clean and dry, and call us with any worry."] * 30)
    short_text = "\n\n".join(["Keep it clean and dry. Call us with any worry."] * 14)
    files = {}
    for name in ("aftercare", "risks"):
        body = long_text + (f"\n\n<!-- short -->\n\n{short_text}" if name in short_versions else "")
        files[f"content/microneedling/{name}.md"] = block_file(body, title=name)
    return clinic_kit(files, base="demo", name="-".join(short_versions) or "none")


def _large_print_card(kit, output, paper: str):
    return build_handout(
        ["microneedling"], kit, output, paper=paper, layout="card", large_print=True
    )


def test_a_large_print_a5_card_too_small_for_even_the_short_versions(clinic_kit, tmp_path):
    kit = _card_kit(clinic_kit, ("aftercare", "risks"))
    with pytest.raises(SheetTooSmall) as error:
        _large_print_card(kit, tmp_path / "c.pdf", "a5")
    message = error.value.message
    assert message.startswith("microneedling: cannot be a two-sided large-print card (A5)")
    sides = float(re.search(r"fill about (\d+\.\d) A5 sides", message).group(1))
    assert sides > 2
    assert "print the large-print card on A4 or US Letter" in message
    # On A4 the same short versions fit both sides.
    assert _large_print_card(kit, tmp_path / "a4.pdf", "a4").pages == 2


def test_a_section_with_no_short_version_is_named_not_the_sheet(clinic_kit, tmp_path):
    kit = _card_kit(clinic_kit, ("aftercare",))
    with pytest.raises(DoesNotFit) as error:
        _large_print_card(kit, tmp_path / "c.pdf", "a5")
    assert not isinstance(error.value, SheetTooSmall)
    assert error.value.message.startswith("microneedling/risks: does not fit on the two-sided")
