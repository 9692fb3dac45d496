"""The standard leaflet composes well whatever the kit: no orphan last page, a sample
mark that takes no room, large print that scales its footer too."""

from __future__ import annotations

import re
import shutil
import warnings
from dataclasses import replace
from datetime import date, time

import pdfplumber
import pytest

from handouts import build_handout
from handouts.appointments import Appointment
from handouts.config import load_clinic
from handouts.copies import StampingOff
from handouts.leaflet import LeafletMaker
from handouts.paths import DEMO_CLINIC_DIR
from handouts.request import LeafletRequest

LONG_DISCLAIMER = (
    "This leaflet gives general information only and does not replace a consultation with "
    "your practitioner. The clinic accepts no liability for decisions made without advice."
)
LONG_DISCLAIMER_ES = (
    "Este folleto ofrece solo información general y no sustituye una consulta con su "
    "profesional. La clínica no acepta responsabilidad por decisiones tomadas sin consejo."
)
LONG_NAME_ES = "María de los Ángeles Fernández-Villaverde y Rodríguez de la Concepción"
VISIT = dict(date=date(2026, 12, 3), time=time(10, 30), practitioner=None)


def last_page_fill(path) -> float:
    """How far down its page the last page's words (above the footer) reach, 0 to 1."""
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[-1]
        words = page.extract_words()
        footer_top = min(w["top"] for w in words if "Northbank" in w["text"] and w["top"] > 400)
        return max(w["bottom"] for w in words if w["bottom"] < footer_top) / page.height


@pytest.fixture
def disclaimer_kit(tmp_path):
    kit = tmp_path / "demo"
    shutil.copytree(DEMO_CLINIC_DIR, kit)
    text = (kit / "clinic.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^disclaimer: .*$", f'disclaimer: "{LONG_DISCLAIMER}"', text)
    text = re.sub(r"(?m)^(    disclaimer: )\"Folleto.*$", rf'\1"{LONG_DISCLAIMER_ES}"', text)
    (kit / "clinic.yaml").write_text(text, encoding="utf-8")
    return kit


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_long_disclaimer_gives_no_orphan_page(disclaimer_kit, tmp_path, language, paper):
    """The long disclaimer adds no page to the demo's own leaflet, and no near-empty one."""
    options = dict(language=language, paper=paper)
    plain = build_handout(["microneedling"], output=tmp_path / "plain.pdf", **options)
    result = build_handout(
        ["microneedling"], clinic_dir=disclaimer_kit, output=tmp_path / "x.pdf", **options
    )
    assert result.pages == plain.pages
    assert last_page_fill(result.path) > 0.22


def test_a_spanish_copy_with_a_long_name_keeps_its_pages_and_stamps_faithfully(tmp_path):
    """The tall panel pushes the disclaimer over: the copy takes a tighter fit, and so does
    the slotted leaflet it is stamped on, so stamping stays on."""
    clinic = load_clinic()
    maker = LeafletMaker()
    request = LeafletRequest(("microneedling",), language="es")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StampingOff)
        maker.make(replace(request, appointment=Appointment("Ann Lee", **VISIT)), clinic)
        long_copy = replace(request, appointment=Appointment(LONG_NAME_ES, **VISIT))
        stamped = maker.make(long_copy, clinic)
    pages = LeafletMaker().make(request, clinic).pages
    assert stamped.stamped and stamped.pages == pages
    full = LeafletMaker().make(long_copy, clinic)
    assert not full.stamped and full.pages == pages
    (tmp_path / "x.pdf").write_bytes(full.pdf)
    assert last_page_fill(tmp_path / "x.pdf") > 0.22


def test_the_sample_mark_does_not_change_the_fit(clinic_kit, tmp_path):
    approved = clinic_kit(base="demo", name="approved")
    unapproved = clinic_kit(base="demo", name="unapproved")
    (unapproved / "approvals.yaml").unlink()
    one = build_handout(["microneedling"], clinic_dir=approved, output=tmp_path / "a.pdf")
    two = build_handout(["microneedling"], clinic_dir=unapproved, output=tmp_path / "u.pdf")
    with pdfplumber.open(two.path) as pdf:
        assert "Sample text" in pdf.pages[0].extract_text()
    assert one.pages == two.pages == 2


def test_large_print_footer_is_16pt_and_the_small_print_follows_the_text(tmp_path):
    result = build_handout(["microneedling"], output=tmp_path / "x.pdf", large_print=True)
    with pdfplumber.open(result.path) as pdf:
        for page in pdf.pages:
            footer = [
                w
                for w in page.extract_words(extra_attrs=["size"])
                if w["top"] > page.height - 28 / 25.4 * 72
            ]
            assert footer and min(word["size"] for word in footer) >= 15.99
        last = pdf.pages[-1].extract_text()
    assert "general information" in last and "content version 1.0" in last


def test_the_demo_leaflet_is_still_two_a4_pages(tmp_path):
    result = build_handout(["microneedling"], output=tmp_path / "x.pdf")
    assert result.pages == 2


@pytest.mark.parametrize("paper", ["a4", "a5"])
def test_large_print_ends_on_a_page_with_text(tmp_path, paper):
    """Dermaplaning ran on to a last page holding only the QR box (A4) or only the small
    print (A5): the QR box now follows "When to call us", and the closing part takes the
    last lines of text with it (or the last section opens the last page)."""
    from handouts.proof import ProofItem, run_proof

    item = ProofItem("dermaplaning", "leaflet", paper, "en", large_print=True)
    assert run_proof(None, [item], jobs=1, thumbnails=False).problems == []
    result = build_handout(
        ["dermaplaning"], output=tmp_path / "x.pdf", paper=paper, large_print=True
    )
    with pdfplumber.open(result.path) as pdf:
        pages = [" ".join(page.extract_text().split()) for page in pdf.pages]
    words = " ".join(pages)
    order = [
        words.index(phrase) for phrase in ("When to call us", "Book or change", "Other options")
    ]
    assert order == sorted(order)  # the QR box follows the callout, before the last section
    last = pages[-1]
    assert "general information" in last
    assert "Example leaflet" in last and "Other options" in " ".join(pages[-2:])
    assert re.search(r"Your clinician can talk you through", last)
