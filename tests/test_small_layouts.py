"""The proof matrix, by ``handouts proof``'s own road and checks.

For the demo kit, the whole matrix: every built-in treatment, in every language it has, in
every layout, on every paper the layout takes, in standard and large print. For a fresh kit
(nothing approved: every section tagged "Sample text") the same in English and Arabic (its
own direction and fonts); for an awkward kit (a wide logo with a fixed height, a long name,
address, e-mail and website, a long disclaimer, its own font family, nothing approved) every
treatment in English on A4, standard and large print. With twenty treatments and Spanish for
all, the whole matrix for three kits would take about 15 minutes of CI alone; the Spanish
text fits the same way for every kit (it is measured on the demo kit), and ``handouts
proof`` runs the whole matrix for any kit. No leaflet may have a problem; the only ones not
made are those the sheet is too small for (``SheetTooSmall``), each saying how much room its
text needs.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from handouts.catalogue import treatment_catalogue
from handouts.choices import LAYOUT_INFO
from handouts.cli import cli
from handouts.paths import builtin_dir
from handouts.proof import proof_matrix, run_proof

AWKWARD = {
    "name": "Harbour Dermatology and Aesthetic Skin Clinic of St Margaret's",
    "address": (
        "Unit 4, The Old Harbour Warehouse, 112-118 Lower Quayside Road, "
        "Kingston upon Thames, KT1 1AA"
    ),
    "email": "appointments@harbourdermatology-aesthetics.example",
    "website": "https://www.harbourdermatology-aesthetics.example",
    "disclaimer": (
        "This leaflet gives general information only and does not replace a consultation "
        "with your practitioner. The clinic accepts no liability for decisions made without "
        "advice."
    ),
}


@pytest.fixture(scope="module")
def fresh_kit(tmp_path_factory):
    kit = tmp_path_factory.mktemp("fresh") / "kit"
    made = CliRunner().invoke(cli, ["init", str(kit)])
    assert made.exit_code == 0, made.output
    return kit


@pytest.fixture(scope="module")
def awkward_kit(tmp_path_factory):
    """A fresh kit made awkward in every way a real clinic's may be."""
    from PIL import Image

    kit = tmp_path_factory.mktemp("awkward") / "kit"
    assert CliRunner().invoke(cli, ["init", str(kit)]).exit_code == 0
    Image.new("RGB", (1200, 360), "#0b5563").save(kit / "wide.png")
    (kit / "fonts").mkdir()
    for style in ("Regular", "Bold", "Italic", "BoldItalic"):
        font = f"AtkinsonHyperlegible-{style}.ttf"
        shutil.copy(builtin_dir("styles") / "fonts" / font, kit / "fonts" / f"Ours-{style}.ttf")
    config = (kit / "clinic.yaml").read_text(encoding="utf-8")
    for key, value in AWKWARD.items():
        config = re.sub(rf"(?m)^{key}:.*$", f"{key}: {json.dumps(value)}", config)
    config = re.sub(r"(?m)^logo:.*$", "logo: wide.png", config)
    config = re.sub(
        r"(?m)^font:.*$",
        "font:\n  regular: fonts/Ours-Regular.ttf\n  bold: fonts/Ours-Bold.ttf\n"
        "  italic: fonts/Ours-Italic.ttf\n  bold_italic: fonts/Ours-BoldItalic.ttf",
        config,
    )
    (kit / "clinic.yaml").write_text(config, encoding="utf-8")
    with (kit / "styles" / "extra.css").open("a", encoding="utf-8") as css:
        css.write("\n.clinic-header .logo { height: 20mm }\n")
    checked = CliRunner().invoke(cli, ["check", "--clinic", str(kit)])
    assert "no bold" not in checked.output, checked.output
    return kit


CANNOT = re.compile(
    r"cannot be a (large-print tri-fold|two-sided large-print card) \((A4|US Letter|A5)\): "
    r"at 16 pt its sections fill about \d+\.\d"
)


SELECTED = {
    "demo": lambda item: True,
    "fresh": lambda item: item.language in ("en", "ar"),
    "awkward": lambda item: item.language == "en" and item.paper == "a4",
}


def most_pages(item) -> int:
    """A standard leaflet on A4 or Letter runs to three pages at most (README, "The
    built-in library"), a tri-fold to its two, a card to its sheet's sides."""
    if item.layout == "leaflet":
        return 3 if not item.large_print and item.paper != "a5" else 99
    return LAYOUT_INFO[item.layout].pages(item.large_print, item.paper)


@pytest.mark.parametrize("layout", ["leaflet", "trifold", "card"])
@pytest.mark.parametrize("kit_name", ["demo", "fresh", "awkward"])
def test_every_leaflet_of_the_library_is_made_with_no_problem(kit_name, layout, request):
    # One test per kit and layout, so the test workers share the matrix out between them.
    kit = None if kit_name == "demo" else request.getfixturevalue(f"{kit_name}_kit")
    matrix = proof_matrix(treatment_catalogue(kit))
    assert {item.language for item in matrix} >= {"en", "es", "ar"}
    assert len({item.treatment for item in matrix}) == 20
    items = [item for item in matrix if SELECTED[kit_name](item) and item.layout == layout]
    assert {item.large_print for item in items} == {False, True}
    report = run_proof(kit, items, jobs=2, thumbnails=False)
    assert len(report.results) == len(items)
    assert report.problems == []  # every section's heading among them (missing_sections)
    for result in report.results:
        if not result.cannot:
            assert 1 <= result.page_count <= most_pages(result.item), result.item.label
    # Every standard-print leaflet, tri-fold and card is made, and every large-print leaflet
    # and large-print card on A4 and Letter: only a large-print tri-fold or A5 card may be
    # too small a sheet, and then it says how much room its text needs.
    for result in report.results:
        if result.cannot:
            assert result.item.large_print, result.cannot
            assert result.item.layout == "trifold" or result.item.paper == "a5", result.cannot
            assert CANNOT.search(result.cannot), result.cannot
