"""The manager workspace (/manage) through Flask's test client, on kits made by `handouts init`.

Approvals are read back from the kit's approvals.yaml, the audit log from its real SQLite
history file, and leaflets are made with ``make_leaflet`` and read with pypdf.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from manage_support import MANAGER_CODE, csrf_token, sign_in
from pypdf import PdfReader

from handouts.approvals import approvals_path, load_approvals
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.errors import HandoutsError
from handouts.history import database_path
from handouts.leaflet import make_leaflet
from handouts.paths import DEMO_CLINIC_DIR, builtin_dir
from handouts.request import LeafletRequest

TOKEN = "correct horse battery staple"
SAMPLE = "Sample text: not yet reviewed by your clinic"
SECTIONS = ("about", "what-to-expect", "benefits", "before", "aftercare", "risks", "alternatives")


@pytest.fixture
def kit(fresh_kit: Path) -> Path:
    """A kit made by `handouts init`, with its own copy of the microneedling aftercare."""
    own = fresh_kit / "content" / "microneedling" / "aftercare.md"
    own.parent.mkdir(parents=True)
    shutil.copy(builtin_dir("content") / "microneedling" / "aftercare.md", own)
    return fresh_kit


@pytest.fixture
def manager(kit, make_manager):
    """A client signed in to the workspace of ``kit``."""
    return make_manager(kit)


def approve(client, section: str, by: str = "Dr Ana Ruiz"):
    path = f"/manage/content/{section}"
    return client.post(f"{path}/approve", data={"csrf_token": csrf_token(client, path), "by": by})


def leaflet_text(kit: Path) -> str:
    leaflet = make_leaflet(LeafletRequest(("microneedling",)), load_clinic(kit))
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(leaflet.pdf)).pages)


def audit_rows(kit: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(database_path(load_clinic(kit))) as connection:
        return connection.execute("SELECT who, action, subject FROM audit ORDER BY id").fetchall()


def test_without_a_manager_code_the_workspace_says_it_is_off_and_how_to_turn_it_on(
    kit, make_client
):
    client = make_client(kit)
    for path in ("/manage", "/manage/content", "/manage/login", "/manage/audit.csv"):
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 404
        assert "The manager workspace is off" in html
        assert "Set <code>HANDOUTS_MANAGER_CODE</code>" in html and "Restart" in html


def test_a_short_manager_code_or_the_reception_code_is_refused(kit, make_client):
    with pytest.raises(HandoutsError, match="HANDOUTS_MANAGER_CODE: use at least 12"):
        make_client(kit, manager_code="short")
    with pytest.raises(HandoutsError, match="use another code than HANDOUTS_WEB_TOKEN"):
        make_client(kit, token=TOKEN, manager_code=TOKEN)


def test_not_signed_in_every_workspace_page_asks_for_the_manager_code(kit, make_client):
    client = make_client(kit, manager_code=MANAGER_CODE)  # even on this computer
    for path in ("/manage", "/manage/content", "/manage/content/microneedling/about"):
        page = client.get(path)
        assert page.status_code == 302
        assert page.headers["Location"].startswith("/manage/login?next=/manage")
    login = client.get("/manage/login").get_data(as_text=True)
    assert "Manager sign-in" in login and '<label for="token">Manager code</label>' in login
    signed = sign_in(client, next_page="/manage/audit")
    assert signed.status_code == 303 and signed.headers["Location"] == "/manage/audit"
    assert client.get("/manage/audit").status_code == 200
    out = client.post("/manage/logout", data={"csrf_token": csrf_token(client, "/manage/audit")})
    assert out.status_code == 303
    assert client.get("/manage/audit").status_code == 302


def test_a_reception_sign_in_does_not_open_the_workspace_nor_the_other_way(kit, make_client):
    client = make_client(kit, token=TOKEN, manager_code=MANAGER_CODE)
    token = csrf_token(client, "/login")
    client.post("/login", data={"csrf_token": token, "token": TOKEN, "next": "/"})
    assert client.get("/history").status_code == 200
    assert client.get("/manage/content").status_code == 302
    assert sign_in(client, code=TOKEN).status_code == 401  # reception's code is not the manager's

    other = make_client(kit, token=TOKEN, manager_code=MANAGER_CODE)
    assert sign_in(other).status_code == 303
    assert other.get("/manage/content").status_code == 200
    assert other.get("/history").status_code == 302  # the manager code is not reception's


def test_wrong_manager_codes_are_refused_then_throttled(kit, make_client):
    client = make_client(kit, manager_code=MANAGER_CODE)
    client.application.config["HANDOUTS_SIGN_IN_LIMIT_PER_CLIENT"] = "2 per minute"
    wrong = sign_in(client, code="a wrong guess here")
    assert wrong.status_code == 401
    assert "That access code is not right" in wrong.get_data(as_text=True)
    assert sign_in(client, code="another wrong guess").status_code == 401
    stopped = sign_in(client)  # even the right code, until the window has room
    assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0
    html = stopped.get_data(as_text=True)
    assert "Too many wrong access codes from this computer" in html and "Manager sign-in" in html


def test_workspace_forms_without_the_csrf_token_are_refused(manager, kit):
    login = manager.post("/manage/login", data={"token": MANAGER_CODE})
    assert login.status_code == 400
    refused = manager.post("/manage/content/microneedling/about/approve", data={"by": "Dr Ana"})
    assert refused.status_code == 400 and "This form has expired" in refused.get_data(as_text=True)
    assert manager.post("/manage/logout").status_code == 400
    assert not approvals_path(kit).exists()


def test_approving_in_the_workspace_records_it_and_clears_that_sections_sample_mark(manager, kit):
    assert leaflet_text(kit).count(SAMPLE) == len(SECTIONS)
    section = manager.get("/manage/content/microneedling/risks").get_data(as_text=True)
    assert "New: not approved" in section and "Nobody has approved this text yet" in section
    folded = " ".join(section.split())
    assert '<li>Spanish: <span class="status status-new">New: not approved</span>' in folded
    assert str((builtin_dir("content") / "microneedling" / "risks.md").resolve()) in section
    assert "grade " in section and "SMOG " in section
    assert '<label for="by">Your name</label>' in section

    done = approve(manager, "microneedling/risks")
    assert done.status_code == 303
    page = manager.get(done.headers["Location"]).get_data(as_text=True)
    assert "Approved microneedling/risks version" in page and "(en, ar, es) by Dr Ana Ruiz" in page
    assert "Approved by Dr Ana Ruiz on " in page
    folded = " ".join(page.split())
    for language in ("Arabic", "Spanish"):
        assert f'<li>{language}: <span class="status status-ok">Approved</span>' in folded

    records = load_approvals(kit)["microneedling/risks"]
    assert set(records) == {"en", "ar", "es"} and records["en"].by == "Dr Ana Ruiz"
    assert 'by: "Dr Ana Ruiz"' in approvals_path(kit).read_text(encoding="utf-8")
    assert audit_rows(kit) == [
        ("Dr Ana Ruiz", "approve", f"microneedling/risks ({language})")
        for language in ("en", "ar", "es")
    ]
    printed = leaflet_text(kit)
    assert printed.count(SAMPLE) == len(SECTIONS) - 1
    risks = printed[printed.index("Side effects and when to call us") :]
    assert SAMPLE not in risks[: risks.index("Other options")]

    # The name is kept for the next section.
    assert 'value="Dr Ana Ruiz"' in manager.get("/manage/content/microneedling/about").get_data(
        as_text=True
    )


def test_approving_needs_a_name(manager, kit):
    page = manager.get(approve(manager, "microneedling/about", by="  ").headers["Location"])
    assert "Type your name" in page.get_data(as_text=True)
    assert not approvals_path(kit).exists()


def test_the_content_page_shows_every_section_and_what_changed_since_approval(manager, kit):
    approve(manager, "microneedling/aftercare")
    own = kit / "content" / "microneedling" / "aftercare.md"
    words = own.read_text(encoding="utf-8")
    own.write_text(words.replace("Keep your routine gentle.", "Keep your routine mild.", 1))

    listing = manager.get("/manage/content").get_data(as_text=True)
    assert listing.count('class="section-row"') == sum(
        len(entry["blocks"]) for entry in manager.get("/api/treatments").get_json()
    )
    assert 'id="microneedling"' in listing and "Changed since approval" in listing
    assert "Was approved by Dr Ana Ruiz on " in listing and "New: not approved" in listing

    section = manager.get("/manage/content/microneedling/aftercare").get_data(as_text=True)
    assert "What changed since it was approved" in section
    assert '<span class="diff-del">-For a few days, your skin takes in products more easily. ' in (
        section
    )
    assert "Keep your routine mild.</span>" in section
    assert str(own.resolve()) in section and "Your kit's own text." in section
    assert '<h2 id="printed-heading">As printed</h2>' in section and "<li>" in section


def test_the_audit_page_lists_approvals_newest_first_and_its_csv_is_the_clis(manager, kit):
    assert "No approvals recorded yet" in manager.get("/manage/audit").get_data(as_text=True)
    approve(manager, "microneedling/about", by="Dr Ana Ruiz")
    approve(manager, "microneedling/risks", by="Nurse Joy Okafor")
    page = manager.get("/manage/audit").get_data(as_text=True)
    assert page.index("Nurse Joy Okafor") < page.index("Dr Ana Ruiz")
    assert "<code>microneedling/risks (en)</code>" in page

    download = manager.get("/manage/audit.csv")
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"
    said = CliRunner().invoke(cli, ["history", "--audit", "--csv", "--clinic", str(kit)])
    assert download.data == said.stdout_bytes  # the same bytes, \r\n line ends and all
    assert said.stdout_bytes.count(b"\r\n") == 1 + 6


def test_reception_pages_never_link_to_the_workspace(kit, make_client):
    client = make_client(kit, manager_code=MANAGER_CODE)
    for path in ("/", "/history", "/login"):
        assert "/manage" not in client.get(path).get_data(as_text=True)


def test_the_demo_clinic_is_not_approved_from_the_workspace(make_client):
    before = (DEMO_CLINIC_DIR / "approvals.yaml").read_bytes()
    client = make_client(None, manager_code=MANAGER_CODE)
    sign_in(client)
    section = client.get("/manage/content/microneedling/about").get_data(as_text=True)
    assert "built-in demo clinic" in section and 'name="by"' not in section
    page = client.get(approve(client, "microneedling/about").headers["Location"])
    assert "Not approved: --clinic: name your clinic kit" in page.get_data(as_text=True)
    assert (DEMO_CLINIC_DIR / "approvals.yaml").read_bytes() == before


@pytest.mark.parametrize(
    ("today", "said"), [("2027-11-01", "Review due soon"), ("2028-01-01", "Review overdue")]
)
def test_review_dates_show_as_due_soon_or_overdue(manager, monkeypatch, today, said):
    monkeypatch.setenv("HANDOUTS_TODAY", today)  # the built-in sections are due on 2027-12-01
    assert said in manager.get("/manage/content").get_data(as_text=True)
    section = manager.get("/manage/content/microneedling/about").get_data(as_text=True)
    assert said in section and "next review by 2027-12-01" in section
