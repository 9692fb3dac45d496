"""The demo leaflet rendered to a real PDF and read back."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from datetime import date, time

import pytest
from conftest import block_file
from pdfcheck import (
    PAPER_MM,
    assert_footer_clear_of_body,
    body_size,
    fonts,
    has_attachments,
    page_size_mm,
    qr_codes,
    reader,
    structure,
    text,
    text_runs,
)

from handouts import build_handout
from handouts.appointments import Appointment
from handouts.content import ContentLibrary

LARGE_PRINT_MARGIN_PT = 28 / 25.4 * 72
"""The large-print page's bottom margin, where its running footer sits."""
SECTION_TITLES = [
    "What is microneedling?",
    "What to expect on the day",
    "How it can help",
    "Before your appointment",
    "Looking after your skin afterwards",
    "Side effects and when to call us",
    "Other options",
]


def test_demo_leaflet_is_two_a4_pages_without_log_errors(demo_leaflet):
    result, log = demo_leaflet
    assert log == []
    assert result.pages == 2
    assert len(reader(result.path).pages) == 2
    assert page_size_mm(result.path) == PAPER_MM["a4"]


def test_demo_leaflet_text_has_every_section_and_the_clinic(demo_leaflet):
    result, _ = demo_leaflet
    content = text(result.path)
    for title in SECTION_TITLES:
        assert title in content
    for expected in (
        "Northbank Skin Clinic",
        "020 7946 0321",
        "When to call us",
        "call NHS 111 for advice, or 999 in an emergency",
        "Call us today on 020 7946 0321 if you have",
        "Get emergency care now.",
    ):
        assert expected in content


def test_every_page_has_the_complete_footer(demo_leaflet):
    result, _ = demo_leaflet
    pages = reader(result.path).pages
    for number, page in enumerate(pages, start=1):
        footer = " ".join(page.extract_text().split())
        assert f"Page {number} of {len(pages)}" in footer
        assert "Northbank Skin Clinic · 020 7946 0321" in footer
        assert "Microneedling: content version 1.0 to 1.2, reviewed 1 December 2026" in footer
        assert "This leaflet is general information." in footer
    assert text(result.path).count("Northbank Skin Clinic is a fictional demo clinic.") == 1


def test_metadata_title_author_subject_language(demo_leaflet):
    result, _ = demo_leaflet
    document = reader(result.path)
    info = document.metadata
    assert info.title == "Microneedling: patient information"
    assert info.author == "Northbank Skin Clinic"
    assert info.subject.startswith("Tiny needles prompt your skin")
    assert document.trailer["/Root"]["/Lang"] == "en-GB"


def test_leaflets_are_tagged_pdf_ua_1(demo_leaflet):
    result, _ = demo_leaflet
    root = reader(result.path).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])  # title, not file name
    tags = root["/StructTreeRoot"]
    assert tags["/K"]  # a structure tree with content in it
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp
    elements = structure(result.path)
    assert ("Figure", "Northbank Skin Clinic logo") in elements
    kinds = [kind for kind, _ in elements]
    assert kinds.index("H1") < kinds.index("H2")  # reading order: title, then sections


def test_the_qr_code_scans_to_the_booking_page_and_the_link_is_printed(demo_leaflet):
    result, _ = demo_leaflet
    assert qr_codes(result.path, 1) == ["https://northbank-skin.example/book"]
    assert "Book or change an appointment online northbank-skin.example/book" in text(result.path)
    assert ("Figure", "QR code for northbank-skin.example/book") in structure(result.path)


def test_a_treatment_video_gets_the_qr_code(clinic_kit, tmp_path):
    source = ContentLibrary().treatment("chemical-peel").path / "treatment.yaml"
    kit = clinic_kit(
        {
            "content/chemical-peel/treatment.yaml": source.read_text()
            + "video_url: https://videos.example/peel\n"
        },
        base="demo",
    )
    result = build_handout(["chemical-peel"], kit, tmp_path / "peel.pdf")
    assert qr_codes(result.path, result.pages - 1) == ["https://videos.example/peel"]
    assert "Watch a short video about this treatment videos.example/peel" in text(result.path)


def test_more_information_pages_are_printed_short_and_linked(clinic_kit, tmp_path):
    pages = (
        "more_information:\n"
        "  - {title: Fillers, publisher: NHS, url: 'https://www.nhs.uk/tests-and-treatments/"
        "cosmetic-procedures/fillers/'}\n"
        "  - {title: Risky, publisher: Nobody, url: 'javascript:alert(1)'}\n"
    )
    kit = clinic_kit(
        {
            "content/dermaplaning/treatment.yaml": "title: Dermaplaning\nsummary: S.\n"
            "blocks: [about, aftercare]\n" + pages
        }
    )
    result = build_handout(["dermaplaning"], kit, tmp_path / "more.pdf")
    words = "".join(text(result.path).split())
    assert "Moreinformation:Fillers(NHS,nhs.uk);Risky(Nobody)" in words
    # not a web address: its title, never a link
    links = [
        str(annotation.get("/A", {}).get("/URI", ""))
        for page in reader(result.path).pages
        for annotation in (a.get_object() for a in page.get("/Annots", []))
    ]
    assert "https://www.nhs.uk/tests-and-treatments/cosmetic-procedures/fillers/" in links
    assert not any(link.startswith("javascript") for link in links)


def test_no_booking_page_no_qr_code(clinic_kit, tmp_path):
    result = build_handout(["dermaplaning"], clinic_kit(), tmp_path / "plain.pdf")
    assert qr_codes(result.path, result.pages - 1) == []


def test_all_fonts_are_embedded_and_the_bundled_font_is_used(demo_leaflet):
    result, _ = demo_leaflet
    used = fonts(result.path)
    assert used and all(used.values())
    assert any("Atkinson-Hyperlegible" in name for name in used)


def test_demo_blocks_are_approved_so_no_sample_mark(demo_leaflet):
    result, _ = demo_leaflet
    assert "Sample text" not in text(result.path)
    assert not has_attachments(result.path)


def test_letter_paper(tmp_path, weasyprint_log):
    result = build_handout(["microneedling"], output=tmp_path / "letter.pdf", paper="letter")
    assert page_size_mm(result.path) == PAPER_MM["letter"]
    assert result.pages == 2
    assert weasyprint_log == []


def test_unapproved_blocks_carry_the_sample_mark(clinic_kit, tmp_path):
    kit = clinic_kit()  # approves nothing
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    content = text(result.path)
    blocks = ContentLibrary().treatment("microneedling").meta.blocks
    assert content.count("Sample text: not yet reviewed by your clinic") == len(blocks)
    assert "Test Clinic" in content and "01632 960 001" in content


def test_body_text_is_at_least_12pt_on_every_page(demo_leaflet):
    result, _ = demo_leaflet
    for index in range(result.pages):
        assert body_size(text_runs(result.path, index)) >= 12


@pytest.mark.parametrize("paper", ["a4", "letter", "a5"])
def test_large_print_is_16pt_with_roomy_lines_on_every_page(tmp_path, paper):
    appointment = Appointment("Amira Haddad", date(2026, 12, 3), time(10, 30), "Dr Priya Shah")
    result = build_handout(
        ["microneedling"],
        output=tmp_path / "large.pdf",
        paper=paper,
        appointment=appointment,
        large_print=True,
    )
    assert result.pages > 2  # more pages are allowed; nothing shrinks to fit
    every_page = []
    for index in range(result.pages):
        height = float(reader(result.path).pages[index].mediabox.height)
        all_runs = text_runs(result.path, index)
        # The running footer sits in the bottom margin (28 mm in large print).
        footer = [run for run in all_runs if run.baseline > height - LARGE_PRINT_MARGIN_PT]
        runs = [run for run in all_runs if run not in footer]
        # Large print scales everything that carries words, the footer too (issue 15).
        assert footer and min(run.size for run in footer) >= 16
        footer_top = min(run.baseline - run.size for run in footer)
        assert max(run.baseline + 0.3 * run.size for run in runs) < footer_top, (
            f"page {index + 1}: body text runs into the footer"
        )
        every_page += runs
        assert min(run.size for run in runs) >= 13  # nothing on the page is small print
        body = sorted({round(run.baseline, 1) for run in runs if run.size == 16})
        gaps = [after - before for before, after in itertools.pairwise(body)]
        if gaps:
            assert min(gap for gap in gaps if gap > 1) >= 16 * 1.5 - 0.5  # 1.5 line spacing
    assert body_size(every_page) == 16
    assert "Amira Haddad" in text(result.path)


@pytest.mark.parametrize("paper", ["a4", "letter", "a5"])
def test_longest_values_never_run_into_the_footer(clinic_kit, tmp_path, paper):
    kit = clinic_kit(
        {
            "clinic.yaml": (
                "name: Northbank Dermatology and Aesthetic Medicine Centre of Excellence\n"
                "phone: +44 (0)20 7946 0321 extension 2245\n"
                "email: reception-and-enquiries@northbank-skin-and-aesthetic-medicine.example\n"
                "website: https://www.northbank-skin-and-aesthetic-medicine-centre.example/patients\n"
                f"disclaimer: {'This leaflet was written for our patients. ' * 6}\n"
            )
        }
    )
    result = build_handout(
        ["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf", paper=paper
    )
    assert_footer_clear_of_body(result.path)
    assert "This leaflet was written for our patients." in text(result.path)


def test_demo_leaflet_footer_is_clear_of_the_body(demo_leaflet):
    assert_footer_clear_of_body(demo_leaflet[0].path)


def test_versions_that_are_not_numbers_are_fine(clinic_kit, tmp_path):
    kit = clinic_kit({"content/microneedling/about.md": block_file("Text.", version="draft-2")})
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    assert "content version 1.0 to draft-2" in text(result.path)


@pytest.mark.parametrize("paper", ["a4", "letter", "a5"])
def test_html_mode_writes_the_assembled_html(tmp_path, paper):
    result = build_handout(
        ["microneedling"], output=tmp_path / "x.html", html_only=True, paper=paper
    )
    html = result.path.read_text(encoding="utf-8")
    assert result.pages is None
    assert html.startswith("<!doctype html>") and f"page-{paper}.css" in html


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed (.ci/run installs it)")
def test_pdf_structure_passes_qpdf_check(demo_leaflet):
    result, _ = demo_leaflet
    completed = subprocess.run(
        ["qpdf", "--check", str(result.path)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_extended_latin_names_render_with_the_right_glyphs(clinic_kit, tmp_path, weasyprint_log):
    kit = clinic_kit(
        {
            "clinic.yaml": "name: Klinika Zażółć Gęślą Jaźń\nphone: '+48 600 000 000'\n"
            "address: Ulica Świętokrzyska 1, Łódź\n"
        }
    )
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "pl.pdf")
    content = text(result.path)
    assert "Klinika Zażółć Gęślą Jaźń" in content and "Ulica Świętokrzyska 1, Łódź" in content
    assert all(
        name.endswith("Atkinson-Hyperlegible") or "Atkinson-Hyperlegible-" in name
        for name in fonts(result.path)
    )
    assert weasyprint_log == []


def test_leaflets_can_be_rendered_from_several_threads(tmp_path):
    import threading

    results = {}

    def build(number):
        results[number] = build_handout(["microneedling"], output=tmp_path / f"{number}.pdf").pages

    threads = [threading.Thread(target=build, args=(number,)) for number in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {0: 2, 1: 2, 2: 2}


def test_an_edited_logo_is_never_served_from_the_cache(clinic_kit, tmp_path):
    square = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" '
        'height="10" fill="{}"/></svg>'
    )
    kit = clinic_kit(
        {
            "clinic.yaml": "name: A\nphone: '1'\nlogo: logo.svg\n",
            "logo.svg": square.format("#ff0000"),
        }
    )
    first = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "1.pdf")
    (kit / "logo.svg").write_text(square.format("#0000ff"))
    second = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "2.pdf")
    assert first.path.read_bytes() != second.path.read_bytes()
