"""Stamped personal copies look, read and are tagged exactly like full renders."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, time

import pikepdf
import pypdfium2
import pytest
from pdfcheck import fonts, reader, structure
from PIL import ImageChops

from handouts.appointments import Appointment
from handouts.config import load_clinic
from handouts.copies import StampingOff
from handouts.leaflet import LeafletMaker
from handouts.request import LeafletRequest

VISIT = dict(date=date(2026, 12, 3), time=time(10, 30), practitioner="Dr Sarah O'Neill")
LONG_NAME = (
    "Bartholomew Maximilian Featherstonehaugh-Wolfeschlegelsteinhausen "
    "Montgomery-Smythe of Northbank Riverside"
)
LONG_NAME_ES = "María de los Ángeles Fernández-Villaverde y Rodríguez de la Concepción"
"""A panel tall enough to push a Spanish leaflet's disclaimer over: a tighter fit is taken."""


@pytest.fixture(scope="module")
def copies() -> LeafletMaker:
    return LeafletMaker()


def full_render(request: LeafletRequest, clinic) -> bytes:
    """The copy rendered in full: a new maker renders a leaflet's first copy in full."""
    leaflet = LeafletMaker().make(request, clinic)
    assert not leaflet.stamped
    return leaflet.pdf


def stamped_and_full(copies, patient, clinic=None, **options):
    """A copy made by stamping, and the same copy rendered in full."""
    clinic = clinic or load_clinic()
    visit = {**VISIT, **options.pop("visit", {})}
    request = LeafletRequest(("microneedling",), **options)
    # The first copy of a leaflet is rendered in full; the second checks stamping.
    copies.make(replace(request, appointment=Appointment("Ann Lee", **visit)), clinic)
    request = replace(request, appointment=Appointment(patient, **visit))
    stamped = copies.make(request, clinic)
    assert stamped.stamped, "the copy was not stamped"
    return stamped.pdf, full_render(request, clinic)


def differing_pixels(first: bytes, second: bytes, dpi: int = 100) -> list[float]:
    """Per page, the share of pixels whose grey level differs by more than 40."""
    shares = []
    one, two = pypdfium2.PdfDocument(first), pypdfium2.PdfDocument(second)
    for page_one, page_two in zip(one, two, strict=True):
        image_one = page_one.render(scale=dpi / 72).to_pil().convert("L")
        image_two = page_two.render(scale=dpi / 72).to_pil().convert("L")
        difference = ImageChops.difference(image_one, image_two).point(lambda v: v > 40)
        shares.append(difference.histogram()[1] / (image_one.width * image_one.height))
    return shares


def panel_tags_are_sound(data: bytes) -> int:
    """Every tag pointing into a merged panel is in the parent tree; returns how many."""
    with pikepdf.open(io.BytesIO(data)) as document:
        assert document.check_pdf_syntax() == []
        root = document.Root.StructTreeRoot
        numbers = root.ParentTree.Nums
        parents = {int(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}
        found = 0
        waiting = [(None, root.K)]  # (the element holding it, node)
        while waiting:
            element, node = waiting.pop()
            if isinstance(node, pikepdf.Array):
                waiting.extend((element, kid) for kid in node)
            elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") == "/MCR":
                form = node.Stm
                assert form.Subtype == "/Form"
                mcid = int(node.MCID)
                assert re.search(rf"/MCID {mcid}\b".encode(), form.read_bytes())
                assert parents[int(form.StructParents)][mcid].objgen == element.objgen
                found += 1
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                waiting.append((node, node.get("/K", pikepdf.Array())))
        return found


def readable(text: str) -> str | list[str]:
    """Page text in reading order; on Arabic pages only the Latin words (phone, names...).

    WeasyPrint maps a shaped Arabic glyph back to the first letter it drew it for, so the
    same page can read back with other Arabic letters depending on what came first.
    """
    if any("\u0600" <= character <= "\u06ff" for character in text):
        return [word for word in text.split() if word.isascii()]
    return text


def assert_equivalent(stamped: bytes, full: bytes) -> None:
    assert len(reader(stamped).pages) == len(reader(full).pages)
    for page_stamped, page_full in zip(reader(stamped).pages, reader(full).pages, strict=True):
        assert page_stamped.mediabox == page_full.mediabox
        assert readable(page_stamped.extract_text()) == readable(page_full.extract_text())
    assert max(differing_pixels(stamped, full)) < 0.0005
    assert fonts(stamped) and all(fonts(stamped).values())
    assert structure(stamped) == structure(full)
    assert panel_tags_are_sound(stamped) > 3
    stamped_pdf, full_pdf = reader(stamped), reader(full)
    assert stamped_pdf.trailer["/Root"]["/Lang"] == full_pdf.trailer["/Root"]["/Lang"]
    assert stamped_pdf.metadata.title == full_pdf.metadata.title


@pytest.mark.parametrize(
    "patient",
    ["Amira Haddad", LONG_NAME, "أميرة حداد", "王小明", "Zoë Ødegård-Łukasiewicz"],
    ids=["latin", "long", "arabic", "chinese", "accents"],
)
def test_a_stamped_copy_is_the_full_render(copies, patient):
    stamped, full = stamped_and_full(copies, patient)
    assert_equivalent(stamped, full)
    assert "".join(patient.split()) in "".join(reader(stamped).pages[0].extract_text().split())


def test_a_long_name_wraps_in_a_taller_panel(copies):
    short, _ = stamped_and_full(copies, "Jo Li")
    long, _ = stamped_and_full(copies, LONG_NAME)
    first = reader(long).pages[0].extract_text().split("\n")
    assert first.index("YOUR APPOINTMENT") + 3 < first.index("Thursday, 3 December 2026 at 10:30")
    assert len(reader(short).pages) == len(reader(long).pages)


@pytest.mark.parametrize(
    ("options", "patient"),
    [
        ({"layout": "trifold"}, "Amira Haddad"),
        ({"layout": "card", "paper": "letter", "visit": {"practitioner": None}}, "Sam Lee"),
        ({"large_print": True}, LONG_NAME),
        ({"language": "es"}, "Lucía Pérez"),
        ({"language": "es"}, LONG_NAME_ES),
        ({"language": "ar", "layout": "card"}, "Amira Haddad"),
        ({"language": "ar", "layout": "card"}, "أميرة حداد"),
    ],
    ids=[
        "trifold",
        "card-letter",
        "large-print",
        "spanish",
        "spanish-tighter-fit",
        "arabic-card",
        "arabic-card-arabic-name",
    ],
)
def test_every_layout_and_direction_stamps_faithfully(copies, options, patient):
    stamped, full = stamped_and_full(copies, patient, **options)
    assert_equivalent(stamped, full)


PANEL_WITH_A_TABLE = """\
<aside class="appointment"><p id="appointment-title">Your visit</p>
<table><tr><th>Patient</th><td>{{ appointment.patient }}</td></tr></table>
{% if appointment_slot %}<img id="appointment-slot" src="{{ appointment_slot.image }}"
 alt="{{ appointment_slot.mark }}" style="display: block; height: {{ appointment_slot.height }}px">
{% endif %}</aside>
"""


@pytest.mark.parametrize(
    "files",
    [
        {"styles/extra.css": ".clinic-header .appointment-patient { font-size: 18pt; }"},
        {"styles/extra.css": ".clinic-header .appointment-title { color: #b03030; }"},
        {"templates/partials/appointment.html": PANEL_WITH_A_TABLE},
        {
            "templates/partials/appointment.html": (
                '<aside class="appointment"><p id="appointment-title">Your visit</p>'
                "<p>{{ appointment.patient }}</p></aside>"
            )
        },
    ],
    ids=["size-via-header", "colour-via-header", "table", "no-slot"],
)
def test_a_kit_the_lone_panel_cannot_follow_gets_full_renders(clinic_kit, files):
    clinic = load_clinic(clinic_kit(base="demo", files=files))
    copies = LeafletMaker()
    with pytest.warns(StampingOff) as caught:
        for name in ("Ann Lee", "Amira Haddad", "Sam Lee"):
            request = LeafletRequest(("microneedling",), appointment=Appointment(name, **VISIT))
            leaflet = copies.make(request, clinic)
            assert not leaflet.stamped
            words = "".join(reader(leaflet.pdf).pages[0].extract_text().split())
            assert "".join(name.split()) in words
    assert len(caught) == 1, "stamping turning off is said once"
    assert "personal copies are rendered in full, which is slower, because" in str(
        caught[0].message
    )


def test_a_page_background_stays_behind_a_stamped_panel(copies, clinic_kit):
    kit = clinic_kit(base="demo", files={"styles/extra.css": "html { background: #f0c8c8; }"})
    stamped, full = stamped_and_full(copies, "Amira Haddad", clinic=load_clinic(kit))
    assert_equivalent(stamped, full)


def to_unicode_maps(pdf: bytes) -> str:
    """Every font's map from glyphs back to letters, as text."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return "".join(
            item.ToUnicode.read_bytes().decode("latin-1")
            for item in document.objects
            if isinstance(item, pikepdf.Dictionary) and "/ToUnicode" in item
        )


def test_batch_stamps_all_but_the_first_copy_of_a_leaflet(tmp_path):
    from handouts.batch import run_batch

    names = ["Ann Lee", "Amira Haddad", LONG_NAME, "王小明", "Sam Lee"]
    rows = [f"{name},microneedling,2026-12-03,10:30,Dr Sarah O'Neill" for name in names]
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("patient_name,treatment,date,time,practitioner\n" + "\n".join(rows))
    report = run_batch(csv_path, output_dir=tmp_path / "out", jobs=1)
    assert len(report.made) == 5 and not report.problems
    assert report.stamped == 4
    stamped = [
        any(name.startswith("/Panel") for name in reader(path).pages[0]["/Resources"]["/XObject"])
        for path in report.made
    ]
    assert stamped.count(True) == 4  # the first is rendered in full, to check the others
    clinic = load_clinic()
    for path in report.made:
        pdf = path.read_bytes()
        words = "".join(reader(pdf).pages[0].extract_text().split())
        name = next(name for name in names if "".join(name.split()) in words)
        request = LeafletRequest(("microneedling",), appointment=Appointment(name, **VISIT))
        assert max(differing_pixels(pdf, full_render(request, clinic))) < 0.0005


def test_a_copy_carries_no_trace_of_another_patient(tmp_path):
    from handouts.batch import run_batch

    names = ["王小明", "李华", "陈静怡", "Zoë Ødegård"]
    rows = [f"{name},microneedling,2026-12-03,10:30" for name in names]
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("patient_name,treatment,date,time\n" + "\n".join(rows))
    report = run_batch(csv_path, output_dir=tmp_path / "out", jobs=1)
    assert len(report.made) == 4
    for path in report.made:
        pdf = path.read_bytes()
        own = "".join(reader(pdf).pages[0].extract_text().split())
        maps = to_unicode_maps(pdf).upper()
        for name in names:
            if "".join(name.split()) in own:
                assert all(f"<{ord(letter):04X}>" in maps for letter in name if letter != " ")
                continue
            for letter in set(name) - set(own) - {" "}:
                assert f"<{ord(letter):04X}>" not in maps, f"{path.name} holds {letter}"
