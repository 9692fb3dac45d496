"""The reception web app through Flask's test client, and the API under a real waitress server."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import block_file
from pdfcheck import text
from pypdf import PdfReader
from smtp_server import SmtpServer, free_port
from waitress_server import serving

from handouts.cli import cli
from handouts.errors import HandoutsError
from handouts.theme import contrast_ratio, readable_shade
from handouts.web import create_app
from handouts.web.auth import check_binding, is_loopback

TOKEN = "correct horse battery staple"
SEVEN_TREATMENTS = [
    "microneedling",
    "chemical-peel",
    "dermal-fillers",
    "dermaplaning",
    "anti-wrinkle-injections",
    "ipl-photofacial",
    "led-light-therapy",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The demo clinic's app, shared by this module's tests (its workers start once)."""
    app = create_app(cache_dir=tmp_path_factory.mktemp("cache"), workers=2, prepare=False)
    yield app
    app.extensions["handouts"].maker.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path="/") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def make_preview(client, **fields):
    """Fill in and send the main form; returns the response (not followed)."""
    form = {"csrf_token": csrf_token(client), "treatment": "microneedling", **fields}
    return client.post("/preview", data=form)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# The main page and the preview --------------------------------------------------------


def test_main_page_offers_treatments_languages_and_papers(client):
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Northbank Skin Clinic" in html
    assert 'value="microneedling"' in html and "Chemical peel" in html
    assert '<option value="en-GB" selected>English (United Kingdom)</option>' in html
    assert '<option value="es" >Español</option>' in html
    assert '<option value="letter" >US Letter</option>' in html
    for field in ("patient", "date", "time", "practitioner", "email", "lang", "paper", "search"):
        assert f'<label for="{field}">' in html  # every field has a visible label
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_brand_colours_and_logo_come_from_the_clinic(client):
    css = client.get("/brand.css").get_data(as_text=True)
    assert "--primary: #1d5c63;" in css and "--accent: #e0954a;" in css
    with client.get("/brand/logo") as logo:
        assert logo.status_code == 200 and b"<svg" in logo.data
        assert logo.headers["Content-Security-Policy"].startswith("default-src 'none'")
    with client.get("/fonts/AtkinsonHyperlegible-Regular.ttf") as font:
        assert font.status_code == 200
    assert client.get("/fonts/..%2Fbase.css").status_code == 404


def test_a_light_brand_colour_is_darkened_for_readable_buttons_and_links(clinic_kit, tmp_path):
    kit = clinic_kit(
        {"clinic.yaml": "name: Sunny Clinic\nphone: 01632 960 001\ncolors:\n  primary: '#f5c542'\n"}
    )
    css = create_app(kit, cache_dir=tmp_path).test_client().get("/brand.css").get_data(as_text=True)
    primary = re.search(r"--primary: (#[0-9a-f]{6});", css).group(1)
    assert primary != "#f5c542"
    assert 4.5 <= contrast_ratio(primary, "#ffffff") < 4.7  # dark enough, and no darker


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert readable_shade("#1d5c63") == "#1d5c63"  # the demo colour already passes


def test_a_file_removed_while_fingerprinting_is_skipped(tmp_path):
    from handouts.paths import fingerprint

    (tmp_path / "kept.css").write_text("p {}")
    (tmp_path / "broken-link.css").symlink_to(tmp_path / "gone.css")
    assert [Path(entry[0]).name for entry in fingerprint(tmp_path)] == ["kept.css"]


def test_a_named_patients_leaflet_is_previewed_downloaded_and_recorded(client):
    response = make_preview(
        client, patient="Zainab Okafor", date="2026-12-03", time="14:30", practitioner="Dr Shah"
    )
    assert response.status_code == 303
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "Microneedling: patient information" in page
    for fact in ("For Zainab Okafor", "Thu 3 Dec 2026, 14:30", "with Dr Shah", "A4", "2 pages"):
        assert fact in page
    image = client.get(f"{preview_url}/page-1.png")
    assert image.mimetype == "image/png" and image.data.startswith(PNG_SIGNATURE)
    assert client.get(f"{preview_url}/page-3.png").status_code == 404

    download = client.get(f"{preview_url}/leaflet.pdf")
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=2026-12-03_Zainab-Okafor_microneedling.pdf"
    )
    words = pdf_text(download.data)
    assert "Zainab Okafor" in words and "Dr Shah" in words
    printed = client.get(f"{preview_url}/leaflet.pdf?print=1")
    assert printed.headers["Content-Disposition"].startswith("inline")
    assert "Content-Security-Policy" in printed.headers  # same-origin frame only

    history = client.get("/history?patient=zainab").get_data(as_text=True)
    assert history.count("Zainab Okafor") == 2  # the download and the print
    assert "Web app" in history


def test_change_details_fills_the_form_again(client):
    preview_url = make_preview(client, patient="Lucía Pérez", lang="es").headers["Location"]
    preview_id = preview_url.rsplit("/", 1)[1]
    form = client.get(f"/?again={preview_id}").get_data(as_text=True)
    assert 'value="Lucía Pérez"' in form
    assert '<option value="es" selected>' in form
    assert re.search(r'value="microneedling" id="treatment-microneedling"\s+checked', form)


def test_patient_values_are_shown_as_text_never_run(client):
    hostile = "{{ 7 * 7 }} <script>alert(1)</script>"
    preview_url = make_preview(client, patient=hostile).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "{{ 7 * 7 }} &lt;script&gt;" in page
    words = pdf_text(client.get(f"{preview_url}/leaflet.pdf").data)
    assert "{{7*7}}<script>alert(1)</script>" in "".join(words.split())  # it may wrap


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"treatment": ""}, "Treatment: choose at least one treatment."),
        ({"date": "03/12/2026"}, "Date: &#39;03/12/2026&#39; is not a date; use YYYY-MM-DD"),
        ({"time": "25:00"}, "Time: &#39;25:00&#39; is not a time"),
        ({"paper": "b5"}, "Paper: &#39;b5&#39; is not a paper size; use a4, letter, a5."),
        ({"patient": "김민지"}, "Patient: no bundled font can print"),
        ({"patient": "x" * 201}, "Patient: longer than 200 characters."),
        ({"patient": "Amira \u202eHaddad"}, "Patient: contains hidden direction marks"),
        ({"patient": "\u200b\u200b"}, "Patient: has no letters; type the name."),
        ({"email": "not-an-address"}, "Email: &#39;not-an-address&#39; is not an email address."),
        (
            {"treatment": "../../etc/passwd"},
            "Treatment: unknown treatment &#39;../../etc/passwd&#39;",
        ),
    ],
)
def test_a_bad_form_is_shown_again_with_a_clear_message(client, fields, message):
    response = make_preview(client, **{"patient": "Kept Name", **fields})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'role="alert"' in page
    if "patient" not in fields:
        assert 'value="Kept Name"' in page  # nothing typed is lost


def test_a_card_too_long_for_its_paper_is_explained_in_plain_words(clinic_kit, tmp_path):
    long_text = "\n\n".join(["This sentence makes the section far too long for a card."] * 40)
    kit = clinic_kit({"content/microneedling/risks.md": block_file(long_text)}, base="demo")
    client = create_app(kit, cache_dir=tmp_path / "cache", workers=1, prepare=False).test_client()
    response = make_preview(client, layout="card", paper="a5")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The text is too long for a aftercare card on A5 paper." not in page
    assert "The text is too long for an aftercare card on A5 paper." in page


def test_forms_without_the_csrf_token_are_refused(client):
    response = client.post("/preview", data={"treatment": "microneedling"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_an_expired_preview_says_so(client):
    for path in ("/leaflets/gone", "/leaflets/gone/leaflet.pdf", "/leaflets/gone/page-1.png"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This preview has expired" in response.get_data(as_text=True)


def test_unknown_pages_and_methods_get_friendly_pages(client):
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    assert client.get("/preview").status_code == 405


def test_email_needs_mail_settings(client):
    preview_url = make_preview(client).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "add the clinic's mail server" in page
    token = csrf_token(client)
    sent = client.post(
        f"{preview_url}/email",
        data={"csrf_token": token, "email": "amira@example.com"},
        follow_redirects=True,
    )
    assert "Not sent: clinic.yaml: mail: set host and from" in sent.get_data(as_text=True)


def test_history_page_is_readable_when_empty_and_filtered(client):
    page = client.get("/history?patient=nobody-by-this-name").get_data(as_text=True)
    assert "No leaflets for “nobody-by-this-name”." in page


# The API ------------------------------------------------------------------------------


def test_api_lists_treatments(client):
    response = client.get("/api/treatments")
    entries = {entry["name"]: entry for entry in response.get_json()}
    assert response.status_code == 200 and len(entries) == 20
    assert entries["microneedling"]["languages"] == ["en", "ar", "es"]
    assert entries["microneedling"]["title"] == "Microneedling"


def test_api_returns_the_leaflet_pdf(client):
    response = client.get(
        "/api/leaflet.pdf?treatment=microneedling&lang=es&paper=letter&patient=Lucía+Pérez"
        "&date=2026-12-05&time=09:00"
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 3  # the Spanish text runs to three pages of Letter
    assert round(float(reader.pages[0].mediabox.width)) == 612  # US Letter
    assert "Lucía Pérez" in text(response.data) and "Micropunción" in text(response.data)
    assert reader.metadata.title.startswith("Micropunción")
    card = client.get("/api/leaflet.pdf?treatment=microneedling&layout=card")
    assert len(PdfReader(io.BytesIO(card.data)).pages) == 1
    folded = client.get("/api/leaflet.pdf?treatment=microneedling&layout=trifold&paper=letter")
    sheet = PdfReader(io.BytesIO(folded.data)).pages[0].mediabox
    assert (round(float(sheet.width)), round(float(sheet.height))) == (792, 612)
    a5_card = client.get("/api/leaflet.pdf?treatment=microneedling&layout=card&paper=a5")
    assert len(PdfReader(io.BytesIO(a5_card.data)).pages) == 2  # both sides of the sheet
    large = client.get("/api/leaflet.pdf?treatment=microneedling&large_print=1")
    assert len(PdfReader(io.BytesIO(large.data)).pages) > 2
    saved = client.get("/api/leaflet.pdf?treatment=microneedling&download=1")
    assert saved.headers["Content-Disposition"] == "attachment; filename=microneedling.pdf"


def test_api_refuses_a_card_its_text_cannot_fill(clinic_kit, tmp_path):
    long_text = "\n\n".join(["This sentence makes the section far too long for a card."] * 40)
    kit = clinic_kit({"content/microneedling/risks.md": block_file(long_text)}, base="demo")
    client = create_app(kit, cache_dir=tmp_path / "cache", workers=1, prepare=False).test_client()
    too_long = client.get("/api/leaflet.pdf?treatment=microneedling&layout=card&paper=a5")
    assert too_long.status_code == 422  # a valid request this text cannot fill
    assert "does not fit on the two-sided card (A5)" in too_long.get_json()["error"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("treatment=no-such-thing", 404, "unknown treatment 'no-such-thing'"),
        ("treatment=..%2F..%2Fetc", 404, "unknown treatment"),
        ("", 400, "treatment: choose at least one treatment"),
        (
            "treatment=microneedling&paper=b5",
            400,
            "paper: 'b5' is not a paper size; use a4, letter, a5",
        ),
        ("treatment=microneedling&lang=!!", 400, "lang: "),
        ("treatment=microneedling&lang=en&lang=es", 400, "lang: give one value, not 2"),
        (
            "treatment=microneedling&date=tomorrow",
            400,
            "date: 'tomorrow' is not a date; use YYYY-MM-DD",
        ),
        ("treatment=microneedling&time=9pm", 400, "time: '9pm' is not a time; use HH:MM"),
        (
            "treatment=microneedling&layout=poster",
            400,
            "layout: 'poster' is not a layout; use leaflet, trifold, card",
        ),
        ("treatment=microneedling&colour=red", 400, "colour: unknown parameter"),
        ("treatment=microneedling&large_print=maybe", 400, "large_print: 'maybe' is not yes or no"),
        ("treatment=microneedling&layout=trifold&paper=a5", 400, "paper: a tri-fold needs A4"),
        ("treatment=microneedling&patient=%00", 400, "patient: contains control characters"),
        (f"treatment=microneedling&patient={'x' * 5000}", 400, "patient: longer than 200"),
        ("treatment=" + ",".join(SEVEN_TREATMENTS), 400, "treatment: at most 6 treatments"),
    ],
)
def test_api_rejects_bad_input_with_json_and_never_a_500(client, query, status, message):
    response = client.get(f"/api/leaflet.pdf?{query}")
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_api_errors_are_json_for_unknown_routes_and_methods(client):
    assert client.get("/api/nothing").get_json()["error"].startswith("Page not found")
    response = client.post("/api/treatments")
    assert response.status_code in (400, 405)
    assert "error" in response.get_json()


# Cache --------------------------------------------------------------------------------


def test_the_second_request_is_served_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    first_app = create_app(cache_dir=cache, workers=1, prepare=False)
    try:
        first = first_app.test_client().get("/api/leaflet.pdf?treatment=dermaplaning")
    finally:
        first_app.extensions["handouts"].maker.close()
    assert first.status_code == 200
    assert len([entry for entry in cache.iterdir() if not entry.name.startswith(".")]) == 1

    # A new server with the same disk cache answers without starting a single worker.
    second_app = create_app(cache_dir=cache, workers=1, prepare=False)
    second = second_app.test_client().get("/api/leaflet.pdf?treatment=dermaplaning")
    maker = second_app.extensions["handouts"].maker
    assert second.data == first.data
    assert maker._pool is None


def test_an_edit_to_a_kit_template_or_picture_shows_at_once(clinic_kit, tmp_path):
    kit = clinic_kit({"templates/partials/callout.html": "<p>MARKER-ONE</p>"}, base="demo")
    app = create_app(kit, cache_dir=tmp_path / "cache", workers=1, prepare=False)
    client = app.test_client()
    try:
        before = pdf_text(client.get("/api/leaflet.pdf?treatment=dermaplaning").data)
        (kit / "templates/partials/callout.html").write_text("<p>MARKER-TWO</p>")
        after = pdf_text(client.get("/api/leaflet.pdf?treatment=dermaplaning").data)
    finally:
        app.extensions["handouts"].maker.close()
    assert "MARKER-ONE" in before and "MARKER-TWO" in after


def test_personal_leaflets_are_stamped_after_the_first_and_follow_kit_edits(clinic_kit, tmp_path):
    kit = clinic_kit(base="demo")
    app = create_app(kit, cache_dir=tmp_path / "cache", workers=1, prepare=False)
    client = app.test_client()

    def leaflet(patient: str) -> bytes:
        query = f"/api/leaflet.pdf?treatment=dermaplaning&patient={patient.replace(' ', '+')}"
        response = client.get(query)
        assert response.status_code == 200
        return response.data

    def stamped(pdf: bytes) -> bool:
        forms = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/XObject"]
        return any(name.startswith("/Panel") for name in forms)

    try:
        pdfs = [leaflet(name) for name in ("Ann Lee", "Bo Chan", "Cy Diaz")]
        config = kit / "clinic.yaml"
        config.write_text(config.read_text().replace("020 7946 0321", "020 7946 0999"))
        after_edit = leaflet("Di Evans")
    finally:
        app.extensions["handouts"].maker.close()
    assert [stamped(pdf) for pdf in pdfs] == [False, True, True]
    assert "Bo Chan" in pdf_text(pdfs[1]) and "Cy Diaz" in pdf_text(pdfs[2])
    assert "020 7946 0999" in pdf_text(after_edit) and "Di Evans" in pdf_text(after_edit)
    assert not stamped(after_edit)  # a changed kit starts again from a full render


def test_an_edit_to_the_kit_shows_at_once(clinic_kit, tmp_path):
    kit = clinic_kit(base="demo")
    app = create_app(kit, cache_dir=tmp_path / "cache", workers=1, prepare=False)
    client = app.test_client()
    try:
        before = pdf_text(client.get("/api/leaflet.pdf?treatment=chemical-peel").data)
        config = kit / "clinic.yaml"
        config.write_text(config.read_text().replace("020 7946 0321", "020 7946 0999"))
        after = pdf_text(client.get("/api/leaflet.pdf?treatment=chemical-peel").data)
        css = client.get("/brand.css").get_data(as_text=True)
    finally:
        app.extensions["handouts"].maker.close()
    assert "020 7946 0321" in before and "020 7946 0999" not in before
    assert "020 7946 0999" in after and "020 7946 0321" not in after
    assert "--primary: #1d5c63;" in css


# Under load, through a real server -----------------------------------------------------


def test_twenty_concurrent_api_requests_all_succeed(app):
    queries = [
        "treatment=microneedling",  # the same leaflet, many times at once
        "treatment=chemical-peel&paper=a5",
        "treatment=dermal-fillers&lang=es",
        "treatment=microneedling&patient=Patient+{n}&date=2026-12-0{d}",
    ]

    def fetch(port: int, number: int) -> tuple[int, bytes, str]:
        query = queries[number % len(queries)].format(n=number, d=number % 9 + 1)
        url = f"http://127.0.0.1:{port}/api/leaflet.pdf?{query}"
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, response.read(), query

    with serving(app, threads=8) as port, ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(fetch, [port] * 20, range(20)))
    assert [status for status, _, _ in results] == [200] * 20
    for _, data, query in results:
        assert data.startswith(b"%PDF-")
        if "Patient" in query:
            assert query.split("patient=")[1].split("&")[0].replace("+", " ") in pdf_text(data)
    same = {data for _, data, query in results if query == "treatment=microneedling"}
    assert len(same) == 1


# Access -------------------------------------------------------------------------------


@pytest.fixture
def locked(tmp_path):
    """An app that needs the access code (no leaflets are rendered by these tests)."""
    return create_app(token=TOKEN, cache_dir=tmp_path / "cache", prepare=False).test_client()


def test_with_a_token_pages_ask_to_sign_in_and_the_api_to_authenticate(locked):
    page = locked.get("/history")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/history"
    api = locked.get("/api/treatments")
    assert api.status_code == 401
    assert api.headers["WWW-Authenticate"].startswith("Bearer")
    assert "access code" in api.get_json()["error"]
    wrong = locked.get("/api/treatments", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = locked.get("/api/treatments", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200 and len(right.get_json()) == 20
    assert locked.get("/brand.css").status_code == 200  # the sign-in page must look right


def test_signing_in_and_out(locked):
    token = csrf_token(locked, "/login")
    wrong = locked.post("/login", data={"csrf_token": token, "token": "guess", "next": "/"})
    assert wrong.status_code == 401
    assert "That access code is not right" in wrong.get_data(as_text=True)
    signed = locked.post("/login", data={"csrf_token": token, "token": TOKEN, "next": "/history"})
    assert signed.status_code == 303 and signed.headers["Location"] == "/history"
    assert locked.get("/history").status_code == 200
    out = locked.post("/logout", data={"csrf_token": csrf_token(locked, "/history")})
    assert out.status_code == 303
    assert locked.get("/history").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/\r\nX:1"],
)
def test_sign_in_never_sends_people_to_another_site(locked, target):
    token = csrf_token(locked, "/login")
    signed = locked.post("/login", data={"csrf_token": token, "token": TOKEN, "next": target})
    assert signed.headers["Location"] == "/"


def test_login_is_not_needed_without_a_token(client):
    assert client.get("/login?next=/history").headers["Location"] == "/history"
    assert client.get("/login?next=/%09/evil.example").headers["Location"] == "/"
    assert client.get("/login?next=/%0d%0aX:1").headers["Location"] == "/"


def test_a_signed_out_session_cookie_no_longer_works(locked):
    token = csrf_token(locked, "/login")
    locked.post("/login", data={"csrf_token": token, "token": TOKEN, "next": "/"})
    copied = locked.get_cookie("session").value
    locked.post("/logout", data={"csrf_token": csrf_token(locked, "/history")})
    locked.set_cookie("session", copied)
    assert locked.get("/history").status_code == 302


def test_other_websites_cannot_reach_the_app(client):
    # DNS rebinding: a page on another name that resolves to 127.0.0.1.
    rebound = client.get("/history", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400
    # A link, image or form on another website (browsers say where a request comes from).
    cross = client.get(
        "/api/leaflet.pdf?treatment=microneedling&patient=Fake",
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert "only answers its own pages" in cross.get_json()["error"]
    same = client.get("/api/treatments", headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200


def test_an_app_served_on_another_loopback_address_answers_that_name(tmp_path):
    app = create_app(cache_dir=tmp_path / "cache", prepare=False, host="127.0.0.2")
    client = app.test_client()
    try:
        for host in ("127.0.0.2:8000", "localhost:8000", "127.0.0.1"):
            assert client.get("/history", headers={"Host": host}).status_code == 200
        for host in ("127.0.0.3:8000", "evil.example:8000"):
            assert client.get("/history", headers={"Host": host}).status_code == 400
    finally:
        app.extensions["handouts"].maker.close()


def test_a_head_request_is_not_recorded_as_a_leaflet_handed_over(client):
    query = "/api/leaflet.pdf?treatment=microneedling&patient=Head+Only+Patient"
    assert client.head(query).status_code == 200
    history = client.get("/history?patient=head+only").get_data(as_text=True)
    assert "No leaflets for" in history


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.20", False), ("::", False),
     ("reception-pc", False)],
)  # fmt: skip
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


def test_other_hosts_need_a_long_enough_token():
    check_binding("127.0.0.1", None)
    check_binding("0.0.0.0", TOKEN)
    with pytest.raises(HandoutsError, match="set HANDOUTS_WEB_TOKEN to an access code first"):
        check_binding("0.0.0.0", None)
    with pytest.raises(HandoutsError, match="at least 12 characters"):
        check_binding("0.0.0.0", "short")


def test_serve_on_all_addresses_without_a_token_refuses_to_start(monkeypatch):
    monkeypatch.delenv("HANDOUTS_WEB_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "8999"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --host 0.0.0.0: other computers could open the leaflets and patient names; "
        "set HANDOUTS_WEB_TOKEN to an access code first, or use --host 127.0.0.1\n"
    )


def test_serve_on_a_port_in_use_fails_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: --host 127.0.0.1 --port {port}: cannot listen there")
    assert result.stderr.endswith("is handouts already running? Choose another --port\n")


def test_serve_with_a_broken_kit_fails_in_one_line(clinic_kit):
    kit = clinic_kit({"clinic.yaml": "name: Test\n"})
    result = CliRunner().invoke(cli, ["serve", "--clinic", str(kit)])
    assert result.exit_code == 1
    assert result.stderr.endswith("clinic.yaml: phone: is required\n")


# Email --------------------------------------------------------------------------------


def test_email_from_the_preview_is_sent_once(mail_kit, certificate, tmp_path):
    kit, port, _ = mail_kit
    app = create_app(kit, cache_dir=tmp_path / "cache", workers=1, prepare=False)
    client = app.test_client()
    try:
        with SmtpServer(port, certificate) as inbox:
            preview_url = make_preview(
                client, patient="Amira Haddad", date="2026-12-03", email="amira@example.com"
            ).headers["Location"]
            page = client.get(preview_url).get_data(as_text=True)
            assert 'value="amira@example.com"' in page
            form = {"csrf_token": csrf_token(client, preview_url), "email": "amira@example.com"}
            first = client.post(f"{preview_url}/email", data=form, follow_redirects=True)
            again = client.post(f"{preview_url}/email", data=form, follow_redirects=True)
            bad = client.post(
                f"{preview_url}/email", data={**form, "email": "x"}, follow_redirects=True
            )
    finally:
        app.extensions["handouts"].maker.close()
    assert "Sent. The patient will get the leaflet" in first.get_data(as_text=True)
    assert "already emailed to that address" in again.get_data(as_text=True)
    assert "Type the patient&#39;s email address" in bad.get_data(as_text=True)
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "amira@example.com"
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "2026-12-03_Amira-Haddad_microneedling.pdf"
    assert "Amira Haddad" in pdf_text(attachment.get_content())
    history = json.loads(
        CliRunner().invoke(cli, ["history", "--clinic", str(kit), "--json"]).stdout
    )
    assert [record["channel"] for record in history] == ["email"]


# Worker processes ----------------------------------------------------------------------

WORKER_PARENT = """
import sys, time
from pathlib import Path
from handouts.paths import DEMO_CLINIC_DIR
from handouts.web.pool import LeafletPool
maker = LeafletPool(DEMO_CLINIC_DIR, Path(sys.argv[1]), workers=2)
maker.start()
print(" ".join(str(pid) for pid in maker._pool._processes), flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")
def test_workers_exit_when_the_server_is_killed(tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-c", WORKER_PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    with parent:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")
def test_serve_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "handouts", "serve", "--port", str(port)],
        env={**os.environ, "HANDOUTS_HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with server:
        assert server.stdout.readline().startswith("Leaflets for reception: http://127.0.0.1:")
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert server.stdout.read() == "Stopped.\n"


def test_workers_prepare_every_leaflet_at_start_and_after_a_kit_change(clinic_kit, tmp_path):
    """The first patient of the day is stamped like the tenth, and so after a kit edit."""
    kit = clinic_kit(base="demo")
    app = create_app(kit, cache_dir=tmp_path / "cache", workers=1)
    pool = app.extensions["handouts"].maker
    client = app.test_client()

    def wait_for(count: int) -> None:
        # How long twenty treatments take to prepare on a busy two-core machine, with room.
        deadline = time.monotonic() + 420
        while pool.preparations < count:
            assert time.monotonic() < deadline, "the workers never got the leaflets ready"
            time.sleep(0.5)

    def first_copy_is_stamped(treatment: str, name: str) -> bool:
        response = make_preview(client, treatment=treatment, patient=name, date="2026-12-03")
        preview_id = response.headers["Location"].rsplit("/", 1)[-1]
        pdf = client.get(f"/leaflets/{preview_id}/leaflet.pdf").data
        return any(key.startswith("/Panel") for key in xobjects(pdf))

    try:
        pool.start()
        wait_for(1)
        assert first_copy_is_stamped("chemical-peel", "Ann Lee")
        assert first_copy_is_stamped("microneedling", "Amira Haddad")
        (kit / "clinic.yaml").write_text(
            (kit / "clinic.yaml").read_text().replace("Northbank", "Riverside"), encoding="utf-8"
        )
        wait_for(2)
        assert first_copy_is_stamped("dermaplaning", "Sam Lee")
    finally:
        pool.close()


def xobjects(pdf: bytes) -> list[str]:
    """Names of the pictures and forms drawn on a PDF's first page."""
    from pdfcheck import reader

    return list(reader(pdf).pages[0]["/Resources"].get("/XObject", {}).keys())
