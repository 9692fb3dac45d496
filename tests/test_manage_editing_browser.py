"""The section editor in real headless Chromium: the reading level and preview follow the typing.

A fresh kit from `handouts init`, served by `handouts serve` with a manager code.
Screenshots (desktop and phone width) go to /tmp/manage-edit-*.png, to be looked at by eye.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import handouts_serve
from playwright.sync_api import expect

pytestmark = pytest.mark.xdist_group("chromium")

MANAGER_CODE = "purple manager lamp seventeen"
HARD = (
    " Postinflammatory hyperpigmentation necessitates comprehensive photoprotective "
    "interventions, particularly following resurfacing procedures."
)


@pytest.fixture
def workspace(tmp_path):
    kit = tmp_path / "kit"
    subprocess.run([sys.executable, "-m", "handouts", "init", str(kit)], check=True)
    env = {"HANDOUTS_HOME": str(tmp_path / "home"), "HANDOUTS_MANAGER_CODE": MANAGER_CODE}
    with handouts_serve("--clinic", str(kit), env=env) as address:
        yield address, kit


def test_typing_in_the_editor_updates_the_grade_and_the_preview_then_saves(workspace, page):
    address, kit = workspace
    page.goto(address + "/manage/content/microneedling/aftercare")
    page.get_by_label("Manager code").fill(MANAGER_CODE)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Edit this section").click()
    expect(page.get_by_role("heading", name="Edit this section")).to_be_visible()
    scores = page.locator("#draft-scores .score").first
    expect(scores).to_have_text("Grade 3.6 · SMOG 7.6")
    for size, width in (("desktop", 1280), ("phone", 390)):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"/tmp/manage-edit-{size}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    text = page.get_by_label("Text, in Markdown")
    text.fill("Keep your routine gentle." + HARD)
    expect(scores).not_to_have_text("Grade 3.6 · SMOG 7.6")
    expect(scores).to_contain_text("Hard to read")
    expect(page.locator("#preview")).to_contain_text("Postinflammatory hyperpigmentation")

    text.fill("Call us on ")
    text.press("End")
    page.get_by_role("button", name="Insert {{ clinic.phone }}").click()
    expect(text).to_have_value("Call us on {{ clinic.phone }}")
    expect(page.locator("#preview")).to_contain_text("Call us on Your phone number")
    text.fill("Call {{ clinic.fax }}.")
    expect(page.locator("#draft-problem")).to_contain_text("unknown placeholder {{ clinic.fax }}")

    text.fill("Call us on {{ clinic.phone }} with any worry.")
    expect(page.locator("#draft-problem")).to_be_hidden()
    page.get_by_label("Your name").fill("Dr Ana Ruiz")
    page.get_by_role("button", name="Save the text").click()
    saved = "Saved microneedling/aftercare as version 1.2"
    expect(page.get_by_role("status")).to_contain_text(saved)
    written = (kit / "content" / "microneedling" / "aftercare.md").read_text(encoding="utf-8")
    assert 'version: "1.2"' in written
    assert "Call us on {{ clinic.phone }} with any worry." in written
