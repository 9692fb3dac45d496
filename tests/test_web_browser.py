"""End to end in real headless Chromium: `handouts serve`, then what reception does.

Playwright drives Debian's Chromium (``/usr/bin/chromium``, or ``$HANDOUTS_CHROMIUM``);
`.ci/run` installs it. Set HANDOUTS_UPDATE_SCREENSHOTS=1 to refresh the screenshot in docs/.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import handouts_serve
from pdfcheck import text
from playwright.sync_api import expect

# Every Chromium test runs in one test worker: two browsers at once on two cores have
# crashed a page ("Page crashed") now and then.
pytestmark = pytest.mark.xdist_group("chromium")

DOCS = Path(__file__).parents[1] / "docs"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`handouts serve` on the demo clinic, as reception would start it."""
    home = tmp_path_factory.mktemp("home")
    with handouts_serve(env={"HANDOUTS_HOME": str(home)}) as address:
        yield address


def test_reception_previews_and_downloads_a_named_patients_leaflet(server, page, tmp_path):
    page.goto(server + "/")
    expect(page.get_by_role("heading", name="Make a leaflet")).to_be_visible()
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]), select')]"
        ".filter(field => field.labels.length === 0).map(field => field.name)"
    )
    assert unlabelled == []

    page.get_by_label("Find a treatment").fill("micro")
    expect(page.locator("#treatment-list > li:visible")).to_have_count(3)  # and PRP, radiofrequency
    page.get_by_label("Microneedling", exact=False).first.check()
    page.get_by_label("Patient's name").fill("Amira Haddad")
    page.get_by_label("Appointment date").fill("2026-12-03")
    page.get_by_label("Time", exact=True).fill("14:30")
    page.get_by_label("Practitioner").fill("Dr Priya Shah")
    if os.environ.get("HANDOUTS_UPDATE_SCREENSHOTS"):
        page.screenshot(path=DOCS / "web-app.png", full_page=True)
    page.get_by_role("button", name="Preview leaflet").click()

    expect(page.get_by_role("heading", name="Microneedling: patient information")).to_be_visible()
    expect(page.get_by_text("For Amira Haddad")).to_be_visible()
    pages = page.locator(".sheet img")
    expect(pages).to_have_count(2)
    # Every page image loads (the page is shown before its images have all arrived).
    # Polled from here: wait_for_function would compile the test in the page, which the
    # app's Content-Security-Policy rightly forbids (no eval).
    deadline = time.monotonic() + 15
    loaded = "[...document.images].every(image => image.complete && image.naturalWidth > 0)"
    while not page.evaluate(loaded):
        assert time.monotonic() < deadline, "page images still loading after 15 s"
        page.wait_for_timeout(100)
    if os.environ.get("HANDOUTS_UPDATE_SCREENSHOTS"):
        page.screenshot(path=DOCS / "web-app-preview.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == "2026-12-03_Amira-Haddad_microneedling.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    words = text(saved)
    assert "Amira Haddad" in words and "Dr Priya Shah" in words and "Microneedling" in words

    with page.expect_response(lambda response: "print=1" in response.url) as printed:
        page.get_by_role("button", name="Print").click()
    assert printed.value.status == 200
    assert printed.value.headers["content-type"] == "application/pdf"
    assert printed.value.headers["content-disposition"].startswith("inline")

    # Headless Chromium has no print dialog: print() on the PDF frame has crashed the page
    # now and then (CI, "Page crashed" on the next click). The rest goes on in a new tab of
    # the same browser session, as reception would after printing.
    after = page.context.new_page()
    page.close()
    after.goto(server + "/")
    after.get_by_role("link", name="History").click()
    expect(after.get_by_role("cell", name="Amira Haddad").first).to_be_visible()


def test_the_search_box_says_when_nothing_matches(server, page):
    page.goto(server + "/")
    page.get_by_label("Find a treatment").fill("liposuction")
    expect(page.get_by_text("No treatment matches that.")).to_be_visible()
    page.get_by_label("Find a treatment").fill("")
    expect(page.locator("#treatment-list > li:visible")).to_have_count(20)


def test_a_mistake_is_explained_and_the_typing_kept(server, page):
    page.goto(server + "/")
    page.get_by_label("Patient's name").fill("Lucía Pérez")
    page.get_by_role("button", name="Preview leaflet").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Treatment: choose at least one treatment.")
    expect(alert).to_be_focused()
    expect(page.get_by_label("Patient's name")).to_have_value("Lucía Pérez")
