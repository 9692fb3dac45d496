"""``handouts proof``: the matrix, each check on real PDFs from kits made to fail, the sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
from click.testing import CliRunner

from handouts.cli import cli
from handouts.proof import ProofItem, proof_matrix, run_proof
from handouts.proof_details import broken

MICRONEEDLING_A4 = ProofItem("microneedling", "leaflet", "a4", "en")


def _problems(kit: Path | None, item: ProofItem = MICRONEEDLING_A4) -> list[str]:
    report = run_proof(kit, [item], jobs=1, thumbnails=False)
    return list(report.problems)


def test_matrix_covers_languages_layouts_papers_and_large_print():
    catalogue = [
        {"name": "peel", "languages": ["en", "es"]},
        {"name": "laser", "languages": ["en"]},
    ]
    items = proof_matrix(catalogue)
    # leaflet and card on 3 papers, trifold on A4 and Letter: 8, in 2 prints
    assert len(items) == 3 * 8 * 2
    assert ProofItem("peel", "trifold", "letter", "es", True) in items
    assert not [item for item in items if item.layout == "trifold" and item.paper == "a5"]
    narrowed = proof_matrix(catalogue, ["peel"], ["card"], ["a5"])
    assert narrowed == [
        ProofItem("peel", "card", "a5", language, large)
        for language in ("en", "es")
        for large in (False, True)
    ]
    assert ProofItem("peel", "trifold", "letter", "es", True).label == (
        "peel, trifold, letter, es, large print"
    )


def test_broken_detail_is_found_across_lines_but_not_where_it_may_wrap():
    text = "Call0207946\n0321orwritetohello@harbo\nurderm.example"  # lines without spaces
    assert broken(text, "020 7946 0321") == [["0207946", "0321"]]
    assert broken(text, "020 7946 0321", " ") == []
    assert broken(text, "hello@harbourderm.example", "@./") == [["hello@harbo", "urderm.example"]]
    assert broken("hello@\nharbourderm.\nexample", "hello@harbourderm.example", "@./") == []
    assert broken("Harbour\nDermatology", "Harbour Dermatology", " ") == []
    assert broken("Harbour\nDermat-\nology", "Harbour Dermatology", " ") == [
        ["Harbour", "Dermat-", "ology"]
    ]
    assert broken("northbank-\nskin.example", "northbank-skin.example", "./") == [
        ["northbank-", "skin.example"]
    ]


def test_demo_leaflet_standard_print_has_no_problem():
    assert _problems(None) == []


def test_proof_command_writes_a_sheet_of_page_images_and_labels(in_tmp: Path):
    result = CliRunner().invoke(
        cli, ["proof", "--treatment", "microneedling", "--layout", "leaflet", "--paper", "a4"]
    )
    problems = [line for line in result.stdout.splitlines() if line.startswith("microneedling, ")]
    # 3 languages x standard and large print; exit 1 exactly when a problem is printed
    assert result.exit_code == (1 if problems else 0), result.output
    assert "Proofed 6 leaflets" in result.stdout
    sheet = pypdf.PdfReader(in_tmp / "proof.pdf")
    text = "\n".join(page.extract_text() for page in sheet.pages)
    assert "Northbank Skin Clinic" in text
    assert "Microneedling" in text
    for label in ("Leaflet · A4 · en", "Leaflet · A4 · es", "Leaflet · A4 · ar", "large print"):
        assert label in text
    images = sum(len(page.images) for page in sheet.pages)
    assert images >= 6 * 2  # every leaflet has at least 2 pages, each drawn


def test_refused_leaflet_is_a_problem_and_the_sheet_says_so(in_tmp: Path, clinic_kit):
    long_text = " ".join(["Keep the area clean and dry, and call us with any worry."] * 60)
    kit = clinic_kit(
        {"content/microneedling/aftercare.md": _block(long_text)}, base="demo", name="long"
    )
    options = ["--treatment", "microneedling", "--layout", "card", "--paper", "a4"]
    result = CliRunner().invoke(cli, ["proof", "--clinic", str(kit), *options])
    assert result.exit_code == 1
    assert re.search(
        r"^microneedling, card, a4, en: refused: microneedling/\w[\w-]*: does not fit on the "
        r"one-page card \(A4\)",
        result.stdout,
        re.MULTILINE,
    ), result.stdout
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader("proof.pdf").pages)
    assert "not made" in text and "refused:" in text


def test_disclaimer_alone_on_a_page_is_an_orphan(clinic_kit):
    disclaimer = (
        "This leaflet is general information about a treatment. It does not replace the advice "
        "of the clinician who sees you. Ask us about anything that is not clear to you."
    )
    kit = clinic_kit(
        {"styles/extra.css": ".disclaimer { break-before: page; }"}, base="demo", name="d"
    )
    config = (kit / "clinic.yaml").read_text(encoding="utf-8")
    config = config.replace(
        'disclaimer: "Example leaflet: Northbank Skin Clinic is a fictional demo clinic."',
        f"disclaimer: {disclaimer!r}",
    )
    (kit / "clinic.yaml").write_text(config, encoding="utf-8")
    assert (
        "microneedling, leaflet, a4, en: orphan page: page 3 of 3 holds only the disclaimer "
        "or small print" in _problems(kit)
    )


def test_small_body_text_is_a_problem(clinic_kit):
    kit = clinic_kit(
        {"styles/extra.css": ".block p, .block li { font-size: 9pt; }"}, base="demo", name="s"
    )
    assert "microneedling, leaflet, a4, en: body text is 9 pt, below 12 pt" in _problems(kit)
    large = ProofItem("microneedling", "leaflet", "a4", "en", True)
    assert (
        "microneedling, leaflet, a4, en, large print: large print body text is 9 pt, below 16 pt"
        in _problems(kit, large)
    )


def test_anything_outside_the_trim_box_is_a_problem(clinic_kit):
    kit = clinic_kit(
        {"styles/extra.css": ".treatment-title { position: absolute; left: -30mm; }"},
        base="demo",
        name="o",
    )
    problems = _problems(kit)
    assert any(
        problem.startswith("microneedling, leaflet, a4, en: page 1: text 'PATIENT")
        and problem.endswith("drawn outside the page's trim box")
        for problem in problems
    ), problems


def test_a_section_left_out_of_the_leaflet_is_a_problem(clinic_kit):
    # Kit CSS that hides a section: the PDF is made, but "Aftercare" is not in it.
    kit = clinic_kit(
        {"styles/extra.css": "#microneedling-aftercare { display: none; }"}, base="demo", name="m"
    )
    problems = _problems(kit)
    assert problems == [
        "microneedling, leaflet, a4, en: the section 'Looking after your skin afterwards' is not "
        "in the leaflet"
    ], problems


def test_email_broken_inside_a_word_in_a_narrow_header(clinic_kit):
    css = """
        .clinic-identity { flex: 0 0 20mm !important; width: 20mm !important; }
        .clinic-contact, .clinic-contact * {
          word-break: break-all !important; white-space: normal !important;
        }
    """
    kit = clinic_kit({"styles/extra.css": css}, base="demo", name="n")
    problems = _problems(kit)
    assert any(
        problem.startswith(
            "microneedling, leaflet, a4, en: clinic e-mail 'hello@northbank-skin.example' "
            "broken inside a word ("
        )
        for problem in problems
    ), problems


def test_check_runs_the_fit_checks_for_the_default_paper_and_layout(clinic_kit):
    from handouts.check import check_kit

    kit = clinic_kit(
        {"styles/extra.css": ".block p, .block li { font-size: 9pt; }"}, base="demo", name="c"
    )
    report = check_kit(kit)
    found = [f for f in report.findings if f.problem.startswith("leaflet, A4: body text")]
    assert {finding.subject for finding in found} >= {"microneedling", "chemical-peel"}
    assert all(finding.severity == "warning" for finding in found)
    quick = check_kit(kit, leaflets=False)  # `check --quick`: no leaflet is made
    assert not [f for f in quick.findings if f.problem.startswith("leaflet, A4:")]


def _block(body: str) -> str:
    return (
        '---\ntitle: Aftercare\nversion: "1.0"\nreviewed: 2026-10-01\nreview_due: 2027-10-01\n'
        "sources:\n  - Test source\n---\n" + body + "\n"
    )


def test_qr_box_alone_on_a_page_is_an_orphan(clinic_kit):
    kit = clinic_kit({"styles/extra.css": ".qr-box { break-before: page; }"}, base="demo", name="q")
    assert (
        "microneedling, leaflet, a4, en: orphan page: page 3 of 3 holds only the QR box"
        in _problems(kit)
    )


def test_check_warns_when_the_kit_font_has_no_bold(clinic_kit):
    from handouts.check import check_kit
    from handouts.paths import builtin_dir

    regular = (builtin_dir("styles") / "fonts" / "NotoSans-Regular.ttf").read_bytes()
    kit = clinic_kit({"fonts/Ours.ttf": regular}, base="demo", name="f")
    config = (kit / "clinic.yaml").read_text(encoding="utf-8")
    config = config.replace("font: Atkinson Hyperlegible", "font: fonts/Ours.ttf")
    (kit / "clinic.yaml").write_text(config, encoding="utf-8")
    findings = [(f.severity, f.subject, f.problem) for f in check_kit(kit).findings]
    assert (
        "warning",
        "clinic.yaml",
        "font: 'fonts/Ours.ttf' has no bold file, so headings and bold words print in regular "
        "weight; list the files under font: (regular: and bold:, also italic: and bold_italic:)",
    ) in findings
