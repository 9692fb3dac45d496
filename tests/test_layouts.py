"""Layouts: the tri-fold brochure, the one-page aftercare card, and right-to-left Arabic."""

from __future__ import annotations

import pdfplumber
import pytest
from click.testing import CliRunner
from conftest import block_file
from pdfcheck import fonts, qr_codes, reader, structure, text

from handouts import build_handout
from handouts.cli import cli
from handouts.content import ContentLibrary
from handouts.errors import HandoutsError

LETTER_LANDSCAPE = (792, 612)
A4_LANDSCAPE = (842, 595)


def words(path, index: int) -> list[dict]:
    with pdfplumber.open(path) as pdf:
        return pdf.pages[index].extract_words(extra_attrs=["size"], keep_blank_chars=False)


def panel(word: dict, width: float) -> int:
    """Which third of the sheet a word sits in: 0 left, 1 middle, 2 right."""
    return int(word["x0"] // (width / 3))


def first(found: list[dict], phrase: str) -> dict:
    head = phrase.split()[0]
    return next(word for word in found if word["text"] == head)


# Tri-fold ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trifold(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tri")
    return build_handout(
        ["microneedling"], output=folder / "t.pdf", paper="letter", layout="trifold"
    )


def test_trifold_is_one_landscape_sheet_printed_both_sides(trifold):
    document = reader(trifold.path)
    assert trifold.pages == 2
    for page in document.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
            LETTER_LANDSCAPE
        )


def test_trifold_outside_panels_are_in_folding_order(trifold):
    width = LETTER_LANDSCAPE[0]
    outside = [word for word in words(trifold.path, 0) if word["size"] >= 13.5]
    title = next(word for word in outside if word["text"] == "Microneedling")
    assert title["size"] > 20
    assert panel(title, width) == 2  # the cover: right-hand panel, seen first when folded
    call_us = next(word for word in outside if word["text"] == "When")
    assert panel(call_us, width) == 1  # the back: contact details and when to call
    cover_section = next(word for word in outside if word["text"] == "What")
    assert panel(cover_section, width) == 2  # the cover carries the first section's text
    flap = [word for word in words(trifold.path, 0) if panel(word, width) == 0]
    assert len(flap) > 100  # the inside flap, read once the cover opens, carries text too
    assert qr_codes(trifold.path, 0) == ["https://northbank-skin.example/book"]
    kinds = [kind for kind, _ in structure(trifold.path)]
    assert kinds.index("H1") < kinds.index("H2")  # read aloud: the cover's title first


def test_trifold_inside_panels_follow_the_sections_left_to_right(trifold):
    width = LETTER_LANDSCAPE[0]
    inside = [word for word in words(trifold.path, 1) if word["size"] >= 13.5]  # headings
    titles = ["Before your appointment", "Looking after", "Side effects"]
    positions = []
    for title in titles:
        head = title.split()[0]
        word = next(word for word in inside if word["text"] == head)
        positions.append((panel(word, width), word["top"]))
    assert positions == sorted(positions)  # reading order: down each panel, then across
    assert positions[0][0] == 0 and positions[-1][0] >= 1
    assert any(panel(word, width) == 2 for word in words(trifold.path, 1))  # all three used


def test_trifold_has_no_running_footer_but_keeps_the_small_print(trifold):
    content = text(trifold.path)
    assert "Page 1 of" not in content
    assert "This leaflet is general information." in content
    assert "Microneedling: content version 1.0" in content


def test_a_trifold_needs_a4_or_letter():
    with pytest.raises(HandoutsError, match="a tri-fold needs A4 or US Letter paper"):
        build_handout(["microneedling"], output="never.pdf", paper="a5", layout="trifold")


def test_a_trifold_that_does_not_fit_names_the_block(clinic_kit, tmp_path):
    long_text = "\n\n".join(["This sentence makes the section far too long to fold."] * 90)
    # The kit's own side effects have no short version, so nothing on the sheet has one.
    files = {
        "content/microneedling/aftercare.md": block_file(long_text),
        "content/microneedling/risks.md": block_file("Most side effects are mild."),
    }
    kit = clinic_kit(files, base="demo")
    with pytest.raises(HandoutsError) as error:
        build_handout(["microneedling"], kit, tmp_path / "t.pdf", layout="trifold")
    assert error.value.message.startswith(
        "microneedling/aftercare: does not fit on the tri-fold sheet (A4); shorten it"
    )


def test_a_flap_that_overflows_gives_a_section_to_the_inside_or_names_it(clinic_kit, tmp_path):
    about = "\n\n".join(["This sentence makes the first section long."] * 30)
    kit = clinic_kit({"content/microneedling/about.md": block_file(about)}, base="demo")
    # Too long to share the outside: "what to expect" moves inside, and it all still fits.
    fitted = build_handout(["microneedling"], kit, tmp_path / "t.pdf", layout="trifold")
    assert fitted.pages == 2
    outside = [word for word in words(fitted.path, 0) if word["text"] == "expect"]
    assert outside == []  # "What to expect" is no longer on the outside
    about = "\n\n".join(["This sentence makes the first section far too long."] * 60)
    kit = clinic_kit({"content/microneedling/about.md": block_file(about)}, base="demo", name="k2")
    with pytest.raises(HandoutsError) as error:
        build_handout(["microneedling"], kit, tmp_path / "t2.pdf", layout="trifold")
    assert error.value.message.startswith("microneedling/about: does not fit on the tri-fold sheet")


# Card ---------------------------------------------------------------------------------


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_card_is_one_page_of_aftercare_and_when_to_call(tmp_path, paper):
    result = build_handout(
        ["microneedling"], output=tmp_path / "card.pdf", paper=paper, layout="card"
    )
    content = text(result.path)
    assert result.pages == 1
    for expected in (
        "AFTERCARE",
        "Looking after your skin afterwards",
        "Side effects and when to call us",
        "When to call us",
        "020 7946 0321",
    ):
        assert expected in content
    assert "What is microneedling?" not in content  # only the card's sections
    # The header keeps whom to call and leaves the address to the leaflet and tri-fold.
    assert "hello@northbank-skin.example" in content and "Riverside Walk" not in content
    assert reader(result.path).metadata.title == "Microneedling: aftercare"


def test_an_overflowing_card_fails_with_the_block_named(clinic_kit, tmp_path):
    long_text = "\n\n".join(["This sentence makes the section far too long for a card."] * 60)
    # The kit's own aftercare has no short version, so nothing on the card has one.
    files = {
        "content/microneedling/risks.md": block_file(long_text),
        "content/microneedling/aftercare.md": block_file("Keep the skin clean."),
    }
    kit = clinic_kit(files, base="demo")
    with pytest.raises(HandoutsError) as error:
        build_handout(["microneedling"], kit, tmp_path / "c.pdf", paper="a5", layout="card")
    assert error.value.message == (
        "microneedling/risks: does not fit on the two-sided card (A5); shorten it or give it a "
        "short version (a '<!-- short -->' line, then the shorter text), or leave it out of "
        "the card with 'layouts:' in its front matter"
    )
    assert "bigger paper" not in error.value.message
    assert not (tmp_path / "c.pdf").exists()


def test_front_matter_decides_which_blocks_go_on_a_card(clinic_kit, tmp_path):
    risks = ContentLibrary().block(ContentLibrary().treatment("microneedling"), "risks")
    source = risks.path.read_text().replace("version:", "layouts: [leaflet, trifold]\nversion:")
    kit = clinic_kit({"content/microneedling/risks.md": source}, base="demo")
    card = build_handout(["microneedling"], kit, tmp_path / "card.pdf", layout="card")
    leaflet = build_handout(["microneedling"], kit, tmp_path / "leaflet.pdf")
    assert "Side effects and when to call us" not in text(card.path)
    assert "Side effects and when to call us" in text(leaflet.path)


def test_layouts_from_the_command_line(in_tmp):
    result = CliRunner().invoke(cli, ["build", "microneedling", "--layout", "card"])
    assert result.exit_code == 0
    assert result.output == "Wrote microneedling.pdf (1 page, A4)\n"
    result = CliRunner().invoke(cli, ["build", "microneedling", "--layout", "poster"])
    assert result.exit_code == 2


# Every layout is accessible ------------------------------------------------------------


@pytest.mark.parametrize("layout", ["leaflet", "trifold", "card"])
def test_every_layout_is_tagged_with_language_and_title(tmp_path, layout):
    result = build_handout(
        ["chemical-peel"], output=tmp_path / "x.pdf", layout=layout, language="es"
    )
    document = reader(result.path)
    root = document.trailer["/Root"]
    assert root["/Lang"] == "es"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert document.metadata.title.startswith("Peeling químico")
    kinds = [kind for kind, _ in structure(result.path)]
    assert "H1" in kinds and "H2" in kinds


# Right to left ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def arabic_card(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ar")
    return build_handout(["microneedling"], output=folder / "c.pdf", layout="card", language="ar")


def test_the_arabic_card_reads_right_to_left(arabic_card):
    document = reader(arabic_card.path)
    assert arabic_card.pages == 1
    assert document.trailer["/Root"]["/Lang"] == "ar"
    assert document.metadata.title == "الوخز بالإبر الدقيقة: العناية بعد العلاج"
    assert {"Noto-Sans-Arabic", "Noto-Sans-Arabic-Bold"} <= {
        name.split("+", 1)[-1] for name in fonts(arabic_card.path)
    }
    width = float(document.pages[0].mediabox.width)
    found = words(arabic_card.path, 0)
    biggest = max(word["size"] for word in found)
    title = [word for word in found if word["size"] == biggest]
    assert max(word["x1"] for word in title) > width - 45  # starts at the right-hand margin
    assert min(word["x0"] for word in title) > width / 2


def test_phone_numbers_keep_their_order_in_arabic(arabic_card):
    with pdfplumber.open(arabic_card.path) as pdf:
        page = pdf.pages[0]
        big = sorted(
            (char for char in page.chars if char["size"] >= 17 and char["text"].isdigit()),
            key=lambda char: char["x0"],
        )
        line = [char for char in page.chars if char["text"].isdigit() and char["size"] == 12]
    assert "".join(char["text"] for char in big) == "02079460321"  # the call-us number
    rows: dict[float, list] = {}
    for char in line:
        rows.setdefault(round(char["top"]), []).append(char)
    numbers = [
        "".join(c["text"] for c in sorted(row, key=lambda c: c["x0"])) for row in rows.values()
    ]
    assert "02079460321" in numbers  # the number in the risks text, too


def test_the_arabic_card_has_its_sections_and_the_clinic_in_latin_letters(arabic_card):
    elements = structure(arabic_card.path)
    assert [kind for kind, _ in elements].count("H2") == 3  # aftercare, risks, when to call
    content = text(arabic_card.path)
    assert "Northbank Skin Clinic" in content and "hello@northbank-skin.example" in content


def test_history_records_the_layout(clinic_kit, tmp_path):
    from handouts.config import load_clinic
    from handouts.history import leaflet_history

    kit = clinic_kit(base="demo")
    build_handout(["microneedling"], kit, tmp_path / "card.pdf", layout="card")
    build_handout(["microneedling"], kit, tmp_path / "big.pdf", large_print=True)
    records = leaflet_history(load_clinic(kit))
    assert [record.layout for record in records] == ["leaflet, large print", "card"]
    listing = CliRunner().invoke(cli, ["history", "--clinic", str(kit)]).output
    assert "microneedling [en-GB, v1.1/1.2, card]" in listing
