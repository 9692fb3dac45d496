"""Accessibility of the real PDFs: every layout, paper and print size in English, and the
Spanish and Arabic leaflets, checked by two PDF/UA checkers (test-only tools: outloud pulls
in PyMuPDF, AGPL, so neither is ever a runtime dependency).

Targets (issue 15): outloud finds no error, and none of its warnings for an address printed
without a link (LNK-010), an empty tag (TAG-020) or a running header or footer tagged as text
(PAG-001); each page paints at least 95% of its tagged content in reading order; pdfua finds
nothing. Each PDF is made once and read by every test.
"""

from __future__ import annotations

import bisect
import json
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import block_file

from handouts import build_handout
from handouts.approve import approve_sections
from handouts.context import TranslationWarning
from handouts.paths import DEMO_CLINIC_DIR
from handouts.templating import tel_href


@dataclass(frozen=True)
class Case:
    layout: str
    paper: str
    large_print: bool = False
    language: str | None = None
    treatment: str = "microneedling"
    short_kit: bool = False
    """The built-in library is too long for this sheet (SheetTooSmall): a short treatment."""

    @property
    def name(self) -> str:
        return "-".join(
            [self.layout, self.paper]
            + (["large"] if self.large_print else [])
            + ([self.language] if self.language else [])
        )


CASES = [
    *(Case("leaflet", paper, large) for paper in ("a4", "letter", "a5") for large in (False, True)),
    Case("leaflet", "a4", language="es"),
    Case("leaflet", "a4", language="ar"),
    Case("trifold", "a4"),
    Case("trifold", "letter"),
    Case("trifold", "a4", True, short_kit=True),
    Case("trifold", "letter", True, short_kit=True),
    *(Case("card", paper, treatment="dermaplaning") for paper in ("a4", "letter", "a5")),
    Case("card", "a4", True, treatment="dermaplaning"),
    Case("card", "letter", True, treatment="dermaplaning"),
    Case("card", "a5", True, short_kit=True),
]

SECTIONS = ("about", "what-to-expect", "benefits", "before", "aftercare", "risks")


@pytest.fixture(scope="module")
def short_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clinic with a microneedling short enough for every sheet, approved (not a
    proof marked "Sample text")."""
    kit = tmp_path_factory.mktemp("short") / "kit"
    shutil.copytree(DEMO_CLINIC_DIR, kit)
    approved = yaml.safe_load((kit / "approvals.yaml").read_text(encoding="utf-8"))
    for name in SECTIONS:
        block = kit / "content" / "microneedling" / f"{name}.md"
        block.parent.mkdir(parents=True, exist_ok=True)
        body = f"A short {name} text. Call us if you are worried.\n\n- keep it clean\n- rest\n"
        version = approved[f"microneedling/{name}"]["en"]["version"]
        block.write_text(block_file(body, f"About {name}", version), encoding="utf-8")
    approve_sections(["microneedling"], "Test reviewer", kit)
    return kit


@dataclass
class Checked:
    case: Case
    pdf: Path
    outloud: list[dict]
    """outloud's findings (rule, severity, message, page, count)."""
    pdfua: dict
    """pdfua's JSON report."""


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed: pip install '.[test]'"
    return found


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.name)
def checked(request, tmp_path_factory, short_kit) -> Checked:
    case: Case = request.param
    pdf = tmp_path_factory.mktemp(case.name) / f"{case.name}.pdf"
    with warnings.catch_warnings():
        # Parts of the Arabic leaflet are still in English: not what is checked here.
        warnings.simplefilter("ignore", TranslationWarning)
        build_handout(
            [case.treatment],
            short_kit if case.short_kit else None,
            pdf,
            paper=case.paper,
            language=case.language,
            large_print=case.large_print,
            layout=case.layout,
        )
    report = pdf.with_suffix(".json")
    subprocess.run(
        [_tool("outloud"), "--json", str(report), "--fail-on", "never", "-q", str(pdf)],
        check=True,
        capture_output=True,
    )
    (result,) = json.loads(report.read_text(encoding="utf-8"))["results"]
    assert result["error"] is None, result["error"]
    pdfua = subprocess.run(
        [_tool("pdfua"), "check", "--format", "json", str(pdf)], capture_output=True, text=True
    )
    return Checked(case, pdf, result["findings"], json.loads(pdfua.stdout))


def _shown(findings: list[dict]) -> str:
    return "; ".join(f"{f['rule']} p.{f.get('page')}: {f['message']}" for f in findings)


ARABIC_GLYPHS = (
    "Noto Sans Arabic draws a letter as several glyphs (body and dots); WeasyPrint 70 maps "
    "the cluster's text to one glyph and an empty string to the others (draw/text.py)"
)


def test_outloud_finds_no_error(checked, request):
    errors = [f for f in checked.outloud if f["severity"] == "error"]
    assert [f for f in errors if f["rule"] != "TXT-003"] == [], _shown(errors)
    if checked.case.language == "ar":
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=ARABIC_GLYPHS))
    assert errors == [], _shown(errors)


@pytest.mark.parametrize(
    "rule",
    [
        "LNK-010",  # an e-mail address or web address printed without a link
        "TAG-020",  # an empty structure element
        "PAG-001",  # a running header or footer read out as text (on 3 pages or more)
        "LNK-004",  # a link annotation that is not printed: print and screen differ
    ],
)
def test_outloud_has_no_warning(checked, rule):
    found = [f for f in checked.outloud if f["rule"] == rule]
    assert found == [], _shown(found)


def test_the_running_footer_is_page_furniture(checked):
    """On every page of a leaflet of two pages or more, the footer's line is page furniture.

    (A tri-fold has no running footer; a one-page card's footer is read, at the end.)
    """
    with pikepdf.open(checked.pdf) as document:
        if checked.case.layout == "trifold" or len(document.pages) == 1:
            return
        for number, page in enumerate(document.pages, 1):
            depth, texts = 0, 0
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name == "BDC" and depth == 0 and operands[0] == "/Artifact":
                    properties = operands[1]
                    depth = 1 if properties.get("/Type") == "/Pagination" else 0
                elif depth and name in ("BDC", "BMC"):
                    depth += 1
                elif depth and name == "EMC":
                    depth -= 1
                elif depth and name in ("Tj", "TJ"):
                    texts += 1
            assert texts, f"p.{number}: no footer text painted as a pagination artifact"


def test_pages_are_painted_in_reading_order(checked):
    """At least 95% of each page's tagged content is painted in the order it is read.

    outloud's ORD-001 only speaks below 80%; this measures each page the same way (the
    longest run of marked content painted in tag-tree order, over all of it).
    """
    shares = _in_order(checked.pdf)
    assert min(shares) >= 0.95, [f"p.{n}: {share:.0%}" for n, share in enumerate(shares, 1)]


def test_pdfua_finds_nothing(checked):
    assert checked.pdfua["findings"] == [], checked.pdfua["findings"]
    assert checked.pdfua["exit_code"] == 0


def test_clinic_details_are_links(checked):
    """Phone, e-mail, website and booking page open from the PDF; each link is tagged."""
    wanted = {
        "tel:02079460321",
        "mailto:hello@northbank-skin.example",
        "https://northbank-skin.example",
        "https://northbank-skin.example/book",
    }
    with pikepdf.open(checked.pdf) as document:
        numbers = document.Root.StructTreeRoot.ParentTree.Nums
        tags = {int(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}
        links = [
            annotation
            for page in document.pages
            for annotation in page.obj.get("/Annots", [])
            if annotation.get("/Subtype") == "/Link"
        ]
        uris = {str(link.A.URI) for link in links}
        assert wanted <= uris, uris
        for link in links:
            assert str(link.Contents) == str(link.A.URI)
            assert tags[int(link.StructParent)].S == "/Link"


@pytest.mark.parametrize(
    ("printed", "href"),
    [
        ("020 7946 0321", "tel:02079460321"),
        ("+44 (0)20 7946-0321", "tel:+442079460321"),
        ("(555) 123-4567", "tel:5551234567"),
        ("+1.555.123.4567 ext. 2", "tel:+15551234567"),
        ("٠٢٠ ٧٩٤٦ ٠٣٢١", "tel:02079460321"),
    ],
)
def test_tel_href_dials_the_digits(printed, href):
    assert tel_href(printed) == href


def _in_order(pdf: Path) -> list[float]:
    """Per page: the share of marked content painted in the order the tag tree reads it."""
    shares = []
    with pikepdf.open(pdf) as document:
        read = _read_order(document)
        for page in document.pages:
            rank = {mcid: place for place, mcid in enumerate(read.get(page.obj.objgen, []))}
            painted = [rank[mcid] for mcid in _paint_order(page) if mcid in rank]
            shares.append(_longest_increasing(painted) / len(painted) if painted else 1.0)
    return shares


def _read_order(document) -> dict[tuple[int, int], list[int]]:
    """Marked-content ids of each page (by its object id) in tag-tree order."""
    order: dict[tuple[int, int], list[int]] = {}

    def visit(element) -> None:
        kids = element.get("/K")
        page = element.get("/Pg")
        for kid in kids if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]:
            if isinstance(kid, int) and page is not None:
                order.setdefault(page.objgen, []).append(kid)
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                order.setdefault(kid.Pg.objgen, []).append(int(kid.MCID))
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                visit(kid)

    visit(document.Root.StructTreeRoot)
    return order


def _paint_order(page) -> list[int]:
    return [
        int(operands[1].MCID)
        for operands, operator in pikepdf.parse_content_stream(page, "BDC")
        if isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]
    ]


def _longest_increasing(values: list[int]) -> int:
    tails: list[int] = []
    for value in values:
        place = bisect.bisect_left(tails, value)
        tails[place : place + 1] = [value]
    return len(tails)
