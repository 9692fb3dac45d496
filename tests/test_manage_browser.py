"""The manager workspace in real headless Chromium: sign in, read and approve, see the audit log.

A fresh kit from `handouts init`, served by `handouts serve` with a manager code. The
screenshots (desktop and phone width) go to /tmp/manage-*.png, to be looked at by eye.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from conftest import handouts_serve
from playwright.sync_api import expect
from pypdf import PdfReader

from handouts.config import load_clinic
from handouts.leaflet import make_leaflet
from handouts.request import LeafletRequest

# Every Chromium test runs in one test worker: two browsers at once on two cores have
# crashed a page ("Page crashed") now and then.
pytestmark = pytest.mark.xdist_group("chromium")

MANAGER_CODE = "purple manager lamp seventeen"
SAMPLE = "Sample text: not yet reviewed by your clinic"
SECTIONS = ("about", "what-to-expect", "benefits", "before", "aftercare", "risks", "alternatives")
NAME = "Dr Ana Ruiz"


@pytest.fixture
def kit(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "handouts", "init", str(tmp_path / "kit")],
        check=True,
        capture_output=True,
    )
    return tmp_path / "kit"


@pytest.fixture
def workspace(kit, tmp_path):
    """`handouts serve --clinic KIT` with a manager code set; yields its address."""
    env = {"HANDOUTS_HOME": str(tmp_path / "home"), "HANDOUTS_MANAGER_CODE": MANAGER_CODE}
    with handouts_serve("--clinic", str(kit), env=env) as address:
        yield address


def shoot(page, url: str, name: str) -> None:
    """Screenshots of ``url`` at desktop and phone width, to /tmp/manage-<name>-<size>.png."""
    for size, width in (("desktop", 1280), ("phone", 390)):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.screenshot(path=f"/tmp/manage-{name}-{size}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_manager_brands_edits_and_approves_every_microneedling_section(
    workspace, page, kit, tmp_path
):
    # Issue 17's "done when": never opening a YAML file, the manager brands the kit, reads,
    # edits and approves every microneedling section; the leaflet then has no sample mark,
    # the audit log has each step with her name, and one changed word brings the mark back.
    page.goto(workspace + "/manage")
    expect(page.get_by_role("heading", name="Manager sign-in")).to_be_visible()
    page.get_by_label("Manager code").fill(MANAGER_CODE)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Content review")).to_be_visible()

    page.get_by_role("link", name="Clinic", exact=True).click()
    page.locator("#name").fill("Harbour Dermatology")
    page.locator("#phone").fill("0161 496 0000")
    page.locator("#details-by").fill(NAME)
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status")).to_contain_text("name, phone changed in clinic.yaml")

    page.goto(workspace + "/manage/content/microneedling/aftercare")
    page.get_by_role("link", name="Edit this section").click()
    text = page.get_by_label("Text, in Markdown")
    text.fill(text.input_value().replace("gentle", "mild", 1))
    page.get_by_label("Your name").fill(NAME)
    page.get_by_role("button", name="Save the text").click()
    expect(page.get_by_role("status")).to_contain_text("Saved microneedling/aftercare")
    shoot(page, workspace + "/manage/content", "content")
    shoot(page, workspace + "/manage/content/microneedling/aftercare", "section")

    page.goto(workspace + "/manage/content")
    treatment = page.locator("section#microneedling")
    expect(treatment.locator(".section-row")).to_have_count(len(SECTIONS))
    treatment.locator(".section-row a").first.click()
    for number, name in enumerate(SECTIONS, 1):
        expect(page.get_by_text(f"section {number} of {len(SECTIONS)}")).to_be_visible()
        expect(page.locator(".status-line")).to_contain_text("New: not approved")
        expect(page.locator(".printed")).not_to_be_empty()
        field = page.get_by_label("Your name")
        if number == 1:
            field.fill(NAME)
        else:
            expect(field).to_have_value(NAME)  # kept from the last approval
        page.get_by_role("button", name="Approve this section").click()
        expect(page.get_by_role("status")).to_contain_text(f"Approved microneedling/{name}")
        expect(page.locator(".status-line")).to_contain_text("Approved")
        expect(page.get_by_text(f"Approved by {NAME} on ")).to_be_visible()
        link = "Next section" if number < len(SECTIONS) else "Back to Microneedling"
        page.get_by_role("link", name=link).click()

    expect(page.locator("section#microneedling")).to_contain_text("All approved")
    printed = leaflet_text(kit)
    assert "Harbour Dermatology" in printed and "0161 496 0000" in printed
    assert "Microneedling" in printed and SAMPLE not in printed

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    for name in SECTIONS:
        row = page.get_by_role("row").filter(has_text=f"Approve microneedling/{name} (en)")
        expect(row).to_contain_text(NAME)
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Manager sign-in")).to_be_visible()

    audit = subprocess.run(
        [sys.executable, "-m", "handouts", "history", "--audit", "--clinic", str(kit)],
        env={**os.environ, "HANDOUTS_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    steps = [line for line in audit.splitlines() if NAME in line]
    assert any("branding" in line and "name" in line for line in steps), audit
    assert any("edit" in line and "microneedling/aftercare" in line for line in steps), audit
    for name in SECTIONS:
        assert any("approve" in line and f"microneedling/{name}" in line for line in steps)

    own = kit / "content" / "microneedling" / "aftercare.md"
    own.write_text(own.read_text(encoding="utf-8").replace("mild", "soft", 1), encoding="utf-8")
    assert SAMPLE in leaflet_text(kit)


def leaflet_text(kit) -> str:
    leaflet = make_leaflet(LeafletRequest(("microneedling",)), load_clinic(kit))
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(leaflet.pdf)).pages)
