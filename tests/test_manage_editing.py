"""Editing in the manager workspace through Flask's test client, on kits made by `handouts init`.

A section's text is changed, taken back to the built-in text, and a treatment is added;
files are read back from the kit, leaflets are built for real and read with pypdf, and the
audit log is read from the kit's SQLite history file.
"""

from __future__ import annotations

import io
import re
import sqlite3
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from manage_support import MANAGER_CODE, csrf_token, run
from pypdf import PdfReader

from handouts.approvals import load_approvals
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.content import ContentLibrary
from handouts.history import database_path
from handouts.leaflet import make_leaflet
from handouts.paths import DEMO_CLINIC_DIR, builtin_dir
from handouts.request import LeafletRequest
from handouts.section_draft import MAX_MARKDOWN_CHARS, raise_version
from handouts.web import create_app

SAMPLE = "Sample text: not yet reviewed by your clinic"
NAME = "Dr Ana Ruiz"
AFTERCARE = "/manage/content/microneedling/aftercare"
OLD_LINE = "Keep your routine gentle."
NEW_LINE = "Keep your routine gentle, and call {{ clinic.phone }} with any worry."


@pytest.fixture
def kit(fresh_kit: Path) -> Path:
    return fresh_kit


@pytest.fixture
def manager(kit, make_manager):
    return make_manager(kit)


def editor(client, path: str = AFTERCARE) -> dict[str, str]:
    """The edit form's fields as the page gives them (title, text, base, CSRF token)."""
    where, _, query = path.partition("?")
    page = client.get(f"{where}/edit" + (f"?{query}" if query else "")).get_data(as_text=True)
    found = {
        name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
        for name in ("csrf_token", "base", "title")
    }
    markdown = re.search(r'<textarea id="markdown"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    return {**{k: unescape(v) for k, v in found.items()}, "markdown": unescape(markdown)}


def save(client, markdown: str, path: str = AFTERCARE, by: str = NAME, **changes):
    form = {**editor(client, path), "markdown": markdown, "by": by, "action": "save", **changes}
    lang = path.partition("?")[2]
    target = f"{path.partition('?')[0]}/edit" + (f"?{lang}" if lang else "")
    return client.post(target, data=form)


def edited_text(client) -> str:
    return editor(client)["markdown"].replace(OLD_LINE, NEW_LINE, 1)


def page_text(client, response) -> str:
    return client.get(response.headers["Location"]).get_data(as_text=True)


def leaflet_text(kit: Path, *treatments: str, language: str = "en") -> str:
    request = LeafletRequest(treatments or ("microneedling",), language=language)
    leaflet = make_leaflet(request, load_clinic(kit))
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(leaflet.pdf)).pages)


def audit_rows(kit: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(database_path(load_clinic(kit))) as connection:
        return connection.execute(
            "SELECT who, action, subject, old, new FROM audit ORDER BY id"
        ).fetchall()


def own_file(kit: Path, name: str = "aftercare.md") -> Path:
    return kit / "content" / "microneedling" / name


def test_versions_go_up_one_step():
    assert [raise_version(v) for v in ("1.2", "1.9", "2", "1.0.3", "1.0-draft")] == [
        "1.3",
        "1.10",
        "3",
        "1.0.4",
        "1.0-draft.1",
    ]


def test_the_editor_shows_the_text_its_reading_level_and_the_placeholders(manager):
    section = manager.get(AFTERCARE).get_data(as_text=True)
    assert f'href="{AFTERCARE}/edit"' in section and "Edit the Spanish" in section
    assert "Go back to the built-in text" not in section  # nothing of the kit's own yet
    page = manager.get(f"{AFTERCARE}/edit").get_data(as_text=True)
    assert OLD_LINE in page and "&lt;!-- short --&gt;" in page  # the whole Markdown
    assert "Grade 3.6 · SMOG 7.6" in page and "Targets: grade 6 or less, SMOG 8 or less" in page
    for placeholder in ("clinic.phone", "clinic.emergency", "clinic.minimum_age"):
        assert f"<code>{{{{ {placeholder} }}}}</code>" in page
    assert "“Your phone number”" in page  # this clinic's value
    assert "version 1.2 (now 1.1, built-in)" in page
    assert 'src="/static/manage_edit.js"' in page and "<script>" not in page  # CSP: no inline


def test_saving_writes_the_kits_own_file_with_its_version_raised_and_the_leaflet_prints_it(
    manager, kit
):
    approve = manager.post(
        f"{AFTERCARE}/approve", data={"csrf_token": csrf_token(manager, AFTERCARE), "by": NAME}
    )
    assert approve.status_code == 303
    crlf = edited_text(manager).replace("\n", "\r\n")  # what a browser sends from a textarea
    done = save(manager, crlf)
    assert done.status_code == 303 and done.headers["Location"] == AFTERCARE
    page = page_text(manager, done)
    assert "Saved microneedling/aftercare as version 1.2 in your kit&#39;s aftercare.md" in page
    assert "Changed since approval" in page and "What changed since it was approved" in page
    assert "Leaflets in Spanish now print your kit&#39;s English text" in page

    written = own_file(kit).read_bytes().decode("utf-8")
    builtin = (builtin_dir("content") / "microneedling" / "aftercare.md").read_text()
    assert "\r" not in written and NEW_LINE in written
    assert written.replace(NEW_LINE, OLD_LINE).replace('"1.2"', '"1.1"') == builtin
    block = ContentLibrary(kit).block(ContentLibrary(kit).treatment("microneedling"), "aftercare")
    assert block.meta.version == "1.2" and str(block.meta.review_due) == "2027-12-01"
    assert block.meta.sources[0].publisher == "Dermatologic Surgery (PubMed)"
    assert load_approvals(kit)["microneedling/aftercare"]["en"].version == "1.1"

    printed = leaflet_text(kit)
    assert "call Your phone number with any worry" in " ".join(printed.split())
    after = printed[printed.index("Looking after your skin afterwards") :]
    assert SAMPLE in after[:300]  # the edited section is sample text again

    rows = audit_rows(kit)
    assert [row[:3] for row in rows[-1:]] == [(NAME, "edit", "microneedling/aftercare (en)")]
    assert rows[-1][3].startswith("1.1 sha256:") and rows[-1][3].endswith(" (built-in)")
    assert rows[-1][4].startswith("1.2 sha256:")
    history = run("history", "--audit", "--clinic", str(kit))
    assert f"{NAME}  edit microneedling/aftercare (en): 1.1 sha256:" in history
    audit_page = manager.get("/manage/audit").get_data(as_text=True)
    assert "<td>Edit</td>" in audit_page and "<td>Approve</td>" in audit_page

    again = save(manager, editor(manager)["markdown"].replace("gentle", "mild", 1))
    assert "as version 1.3" in page_text(manager, again)


def test_the_live_preview_answers_with_the_printed_text_scores_and_problems(manager, kit):
    form = editor(manager)
    url = f"{AFTERCARE}/preview"
    answer = manager.post(url, data={**form, "markdown": NEW_LINE}).get_json()
    assert answer["problem"] is None and "call Your phone number with any worry" in answer["html"]
    assert answer["scored"] and answer["scores"][0]["label"] == "Full text"

    hard = (
        "Postinflammatory hyperpigmentation necessitates comprehensive photoprotective "
        "interventions, particularly following resurfacing procedures."
    )
    answer = manager.post(url, data={**form, "markdown": hard}).get_json()
    assert answer["scores"][0]["above_target"] and answer["problem"] is None
    assert "reads above target" in answer["warnings"][0]
    saved = save(manager, hard)  # a warning, not a refusal
    page = page_text(manager, saved)
    assert "Saved microneedling/aftercare" in page and "reads above target" in page

    broken = manager.post(url, data={**form, "markdown": "Call {{ clinic.fax }}."}).get_json()
    assert broken["html"] is None and "unknown placeholder {{ clinic.fax }}" in broken["problem"]
    assert "(line 1 of the text)" in broken["problem"]
    assert broken["scores"]  # still scored: it helps while typing
    no_token = manager.post(url, data={"title": "x", "markdown": "Hello."})
    assert no_token.status_code == 400


HOSTILE = [
    ("{{ ''.__class__ }}", "placeholders must be plain names such as {{ clinic.phone }}"),
    ("{{ clinic.__class__.__mro__ }}", "unknown placeholder {{ clinic.__class__.__mro__ }}"),
    ("{% include '/etc/passwd' %}", "only {{ placeholders }} are allowed in content, not {% tags"),
    ("{{ clinic.phone | upper }}", "without filters or sums"),
    ("Visit {{ clinic.website }}.", "{{ clinic.website }} is used but clinic.yaml has no"),
    ("<!-- only a comment -->", "the block has no text after its front matter"),
    ("![A picture](missing.png)", "image 'missing.png' not found in the kit"),
    ("![Secrets](/etc/passwd)", "image '/etc/passwd' is not allowed"),
    ("Text.\n\n<!-- short -->\n", "'<!-- short -->' has no text after it"),
    ("".join("    " * n + "- a\n" for n in range(30)), "nested too deeply"),
]


@pytest.mark.parametrize(("markdown", "said"), HOSTILE)
def test_text_the_leaflet_would_refuse_is_refused_with_its_message_and_nothing_written(
    manager, kit, markdown, said
):
    refused = save(manager, markdown)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Not saved: " in html and said in unescape(html)
    assert not (kit / "content" / "microneedling").exists()
    assert not database_path(load_clinic(kit)).exists() or audit_rows(kit) == []


def test_the_refusal_is_the_message_handouts_build_gives(manager, kit, tmp_path):
    text = editor(manager)["markdown"].replace(OLD_LINE, "Call {{ clinic.fax }}.", 1)
    said = re.search(r"Not saved: ([^<]*)", save(manager, text).get_data(as_text=True)).group(1)
    said = re.sub(r" \(line \d+ of the text\)", "", unescape(said))
    own_file(kit).parent.mkdir(parents=True)
    front = (builtin_dir("content") / "microneedling" / "aftercare.md").read_text()
    front = front[: front.index("---", 4) + 4].replace('"1.1"', '"1.2"')
    own_file(kit).write_text(f"{front}\n{text}", encoding="utf-8")  # as the save would write it
    built = CliRunner().invoke(
        cli, ["build", "microneedling", "--clinic", str(kit), "-o", str(tmp_path / "x.pdf")]
    )
    assert built.exit_code == 1
    assert built.output.strip() == f"Error: {said}"


def test_scripts_in_markdown_never_reach_the_page_or_the_leaflet(manager, kit):
    hostile = (
        'Wash gently.\n\n<script>alert("pwned")</script>\n\n'
        '<a href="javascript:alert(1)" onclick="alert(2)">Read more</a>\n\n'
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>\n'
    )
    preview = manager.post(
        f"{AFTERCARE}/preview", data={**editor(manager), "markdown": hostile}
    ).get_json()
    for unsafe in ("<script", "onclick", "javascript:", "<iframe", "<style", "alert"):
        assert unsafe not in preview["html"]
    assert "HTML the leaflet leaves out" in preview["warnings"][-1]
    page = page_text(manager, save(manager, hostile))
    assert "Saved microneedling/aftercare" in page and "HTML the leaflet leaves out" in page
    printed_part = page[page.index('<div class="printed">') :]
    printed_part = printed_part[: printed_part.index("</div>")]
    for unsafe in ("<script", "onclick", "javascript:", "<iframe", "alert"):
        assert unsafe not in printed_part
    printed = leaflet_text(kit)
    assert "Wash gently." in printed and "Read more" in printed and "alert" not in printed


def test_a_huge_text_is_refused(manager, kit):
    big = "Wash gently. " * (MAX_MARKDOWN_CHARS // 13 + 10)
    refused = save(manager, big)
    assert refused.status_code == 400
    assert "a section may have up to 20,000" in refused.get_data(as_text=True)
    too_big = save(manager, "x" * 200_000)  # more than the app takes in one form
    assert too_big.status_code == 413
    assert not (kit / "content" / "microneedling").exists()


def test_non_latin_text_and_a_translation_are_saved_in_their_own_file(manager, kit):
    spanish = f"{AFTERCARE}?lang=es"
    form = editor(manager, spanish)
    assert "Durante unos días" in form["markdown"]
    words = form["markdown"].replace("Use una rutina suave.", "Evite el sol: ¡es importante!", 1)
    done = save(manager, words, spanish)
    assert "Saved microneedling/aftercare (Spanish) as version 1.1" in page_text(manager, done)
    own = own_file(kit, "aftercare.es.md")
    assert "¡es importante!" in own.read_text(encoding="utf-8")
    assert not own_file(kit).exists()  # the English is still the built-in one
    assert "Evite el sol: ¡es importante!" in " ".join(leaflet_text(kit, language="es").split())
    assert audit_rows(kit)[-1][:3] == (NAME, "edit", "microneedling/aftercare (es)")

    arabic = f"{AFTERCARE}?lang=ar"
    text = editor(manager, arabic)["markdown"] + "\nنص جديد للاختبار.\n"
    assert save(manager, text, arabic).status_code == 303
    assert "نص جديد للاختبار." in own_file(kit, "aftercare.ar.md").read_text(encoding="utf-8")

    # The English changes: the kit's Spanish now translates an older version, and says so.
    save(manager, edited_text(manager))
    section = manager.get(AFTERCARE).get_data(as_text=True)
    assert "Translates version 1.1" in section
    review = CliRunner().invoke(cli, ["review", "--clinic", str(kit)]).output
    assert "microneedling/aftercare (es): " in review
    assert "translates version 1.1; the English text is now version 1.2" in review
    edit = manager.get(f"{AFTERCARE}/edit").get_data(as_text=True)
    assert "The Spanish text still translates the older English version" in edit
    assert manager.get(f"{AFTERCARE}/edit?lang=fr").status_code == 404

    # The kit's Spanish can go back to the built-in Spanish, on its own.
    assert "Go back to the built-in Spanish text" in section
    token = csrf_token(manager, f"{AFTERCARE}/revert?lang=es")
    back = manager.post(f"{AFTERCARE}/revert?lang=es", data={"csrf_token": token, "by": NAME})
    assert back.status_code == 303
    assert not own_file(kit, "aftercare.es.md").exists() and own_file(kit).exists()
    assert audit_rows(kit)[-1][:3] == (NAME, "revert", "microneedling/aftercare (es)")


def test_a_stale_or_unchanged_save_is_refused(manager, kit):
    unchanged = save(manager, editor(manager)["markdown"])
    assert "Not saved: nothing changed" in unchanged.get_data(as_text=True)
    assert not (kit / "content" / "microneedling").exists()
    form = editor(manager)
    save(manager, edited_text(manager))
    stale = manager.post(
        f"{AFTERCARE}/edit",
        data={**form, "markdown": "Other words.", "by": NAME, "action": "save"},
    )
    assert "someone changed this section since you opened it" in stale.get_data(as_text=True)
    assert "Other words." not in own_file(kit).read_text(encoding="utf-8")
    nameless = save(manager, "Other words.", by=" ")
    assert "Type your name" in nameless.get_data(as_text=True)


def test_going_back_to_the_built_in_text_removes_the_kits_own_after_a_confirm(manager, kit):
    save(manager, edited_text(manager))
    section = manager.get(AFTERCARE).get_data(as_text=True)
    assert f'href="{AFTERCARE}/revert"' in section
    confirm = manager.get(f"{AFTERCARE}/revert").get_data(as_text=True)
    assert "Go back to the built-in text?" in confirm and "with any worry" in confirm
    assert own_file(kit).exists()  # the page only asks

    token = csrf_token(manager, f"{AFTERCARE}/revert")
    assert manager.post(f"{AFTERCARE}/revert", data={"by": NAME}).status_code == 400
    assert own_file(kit).exists()
    done = manager.post(f"{AFTERCARE}/revert", data={"csrf_token": token, "by": NAME})
    assert done.status_code == 303
    page = page_text(manager, done)
    assert "is the built-in text again (version 1.1)" in page
    assert "Go back to the built-in text" not in page
    assert not own_file(kit).exists()
    assert OLD_LINE in leaflet_text(kit) and "with any worry" not in leaflet_text(kit)
    last = audit_rows(kit)[-1]
    assert last[:3] == (NAME, "revert", "microneedling/aftercare (en)")
    assert last[3].startswith("1.2 sha256:") and last[4].endswith(" (built-in)")
    assert "revert microneedling/aftercare (en)" in run("history", "--audit", "--clinic", str(kit))
    assert manager.get(f"{AFTERCARE}/revert").status_code == 404  # nothing left to remove


def new_treatment(client, **fields):
    form = {"title": "", "slug": "", "also_known_as": "", "summary": "", "by": NAME, **fields}
    token = csrf_token(client, "/manage/content/new")
    return client.post("/manage/content/new", data={"csrf_token": token, **form})


def test_a_new_treatment_from_the_blank_template_is_listed_and_builds(manager, kit, tmp_path):
    listing = manager.get("/manage/content").get_data(as_text=True)
    assert 'href="/manage/content/new"' in listing
    done = new_treatment(
        manager, title="Lip Filler (Russian)", also_known_as="lip augmentation, lip flip"
    )
    assert done.status_code == 303
    assert done.headers["Location"] == "/manage/content#lip-filler-russian"
    listing = page_text(manager, done)
    assert "Added lip-filler-russian with seven sections" in listing
    assert 'id="lip-filler-russian"' in listing and "0 of 7 sections approved" in listing

    folder = kit / "content" / "lip-filler-russian"
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        ["treatment.yaml", *(f"{name}.md" for name in SECTIONS)]
    )
    assert 'title: "Lip Filler (Russian)"' in (folder / "treatment.yaml").read_text()
    output = tmp_path / "lip.pdf"
    said = run("build", "lip-filler-russian", "--clinic", str(kit), "-o", str(output))
    assert "Wrote" in said
    printed = "\n".join(page.extract_text() for page in PdfReader(output).pages)
    assert "Lip Filler (Russian)" in printed and "Also called lip augmentation or lip flip" in (
        printed
    )
    assert printed.count(SAMPLE) == len(SECTIONS)
    assert "Call us today on Your phone number" in " ".join(printed.split())
    assert audit_rows(kit)[-1] == (
        NAME, "add-treatment", "lip-filler-russian", None, "7 sections, version 0.1",
    )  # fmt: skip
    assert "add-treatment lip-filler-russian" in run("history", "--audit", "--clinic", str(kit))

    # Its sections can be edited; there is no built-in text to go back to.
    about = "/manage/content/lip-filler-russian/about"
    assert "Go back to the built-in" not in manager.get(about).get_data(as_text=True)
    assert save(manager, "Lip filler adds volume.", about).status_code == 303
    assert 'version: "0.2"' in (folder / "about.md").read_text()
    assert manager.get(f"{about}/revert").status_code == 404


SECTIONS = ("about", "what-to-expect", "benefits", "before", "aftercare", "risks", "alternatives")


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"title": "Evil", "slug": "../evil"}, "use lowercase letters, digits and single hyphens"),
        ({"title": "Evil", "slug": "..%2Fevil"}, "use lowercase letters"),
        ({"title": "Lip", "slug": "Lip-Filler"}, "use lowercase letters"),
        ({"title": "Lip", "slug": "lip filler"}, "use lowercase letters"),
        ({"title": "Lip", "slug": "lip-"}, "use lowercase letters"),
        ({"title": "Micro", "slug": "microneedling"}, "there is a treatment with that name"),
        ({"title": "Microneedling"}, "there is a treatment with that name already"),
        ({"title": "حقن الشفاه"}, "type a folder name in plain letters"),
        ({"title": ""}, "title: give the treatment a name"),
        ({"title": "{{ ''.__class__ }}"}, "without braces"),
        ({"title": "Lip", "by": ""}, "Type your name"),
    ],
)
def test_a_bad_or_taken_treatment_name_is_refused(manager, kit, fields, said):
    before = sorted(path.name for path in (kit / "content").iterdir())
    refused = new_treatment(manager, **fields)
    html = unescape(refused.get_data(as_text=True))
    assert said in html
    assert sorted(path.name for path in (kit / "content").iterdir()) == before
    assert not (kit.parent / "evil").exists()


def test_a_treatment_added_twice_is_refused_the_second_time(manager, kit):
    assert new_treatment(manager, title="Lip Filler").status_code == 303
    again = new_treatment(manager, title="Lip Filler")
    assert again.status_code == 400
    assert "there is a treatment with that name already" in again.get_data(as_text=True)


def test_every_editing_form_without_its_csrf_token_is_refused(manager, kit):
    form = {"markdown": "Hello.", "title": "x", "by": NAME, "action": "save"}
    for path in (f"{AFTERCARE}/edit", f"{AFTERCARE}/preview", "/manage/content/new"):
        assert manager.post(path, data={**form, "base": "x"}).status_code == 400
    assert list((kit / "content").iterdir()) == []


def test_not_signed_in_the_editing_pages_ask_for_the_manager_code(kit, tmp_path):
    app = create_app(kit, cache_dir=tmp_path / "cache", prepare=False, manager_code=MANAGER_CODE)
    client = app.test_client()
    try:
        for path in (f"{AFTERCARE}/edit", f"{AFTERCARE}/revert", "/manage/content/new"):
            assert client.get(path).headers["Location"].startswith("/manage/login?next=")
        assert client.post(f"{AFTERCARE}/preview").status_code in (302, 400)
    finally:
        app.extensions["handouts"].maker.close()


def test_the_demo_clinic_is_not_changed_from_the_workspace(make_manager):
    before = sorted(str(path) for path in DEMO_CLINIC_DIR.rglob("*"))
    client = make_manager(None)
    section = client.get(AFTERCARE).get_data(as_text=True)
    assert f'href="{AFTERCARE}/edit"' not in section
    page = client.get(f"{AFTERCARE}/edit").get_data(as_text=True)
    assert "built-in demo clinic" in page and 'name="by"' not in page
    refused = save(client, edited_text(client))
    assert "Not saved: name your clinic kit" in refused.get_data(as_text=True)
    added = new_treatment(client, title="Lip Filler")
    assert "built-in demo clinic" in added.get_data(as_text=True)
    token = csrf_token(client, "/manage/content")
    client.post("/manage/content/new", data={"csrf_token": token, "title": "Lip", "by": NAME})
    assert sorted(str(path) for path in DEMO_CLINIC_DIR.rglob("*")) == before
    assert not (builtin_dir("content") / "lip").exists()
