"""Approvals bound to the words, `handouts approve` and `review`, overdue reviews, the audit log.

Kits are made with `handouts init`; leaflets are real PDFs read back with pypdf; the audit
log is read from the kit's real SQLite history file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from pdfcheck import text

from handouts.approvals import load_approvals
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.errors import HandoutsError
from handouts.history import database_path
from handouts.paths import DEMO_CLINIC_DIR, builtin_dir

SAMPLE = "Sample text: not yet reviewed by your clinic"
OVERDUE = "Review overdue"
TODAY = "2026-12-01"
SECTIONS = ("about", "what-to-expect", "benefits", "before", "aftercare", "risks", "alternatives")


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kit made by `handouts init`, with its own copy of the microneedling aftercare."""
    monkeypatch.chdir(tmp_path)
    run("init", "kit")
    own = tmp_path / "kit" / "content" / "microneedling" / "aftercare.md"
    own.parent.mkdir(parents=True)
    shutil.copy(builtin_dir("content") / "microneedling" / "aftercare.md", own)
    return tmp_path / "kit"


def finding(report: str, subject: str) -> str:
    """The line of ``check`` output about ``subject``, its padding folded."""
    [line] = [line for line in report.splitlines() if f" {subject} " in line]
    return " ".join(line.split())


def build(kit: Path, name: str = "m.pdf", code: int = 0) -> tuple[str, str]:
    """Build microneedling; the command's output and the PDF's text."""
    output = run("build", "microneedling", "--clinic", str(kit), "-o", name, code=code)
    return output, text(Path(name)) if code == 0 else ""


def test_approve_then_build_has_no_sample_mark_and_one_changed_word_brings_it_back(kit):
    before = build(kit, "before.pdf")[1]
    assert before.count(SAMPLE) == len(SECTIONS)

    said = run("approve", "microneedling", "--by", "Dr Ana Ruiz", "--clinic", str(kit))
    lines = said.splitlines()
    assert [line.split()[1] for line in lines] == [f"microneedling/{name}" for name in SECTIONS]
    own = kit / "content" / "microneedling" / "aftercare.md"
    # the kit's own English text wins in every language, so that is all there is to approve
    assert lines[4] == f"Approved microneedling/aftercare version 1.1 (en): {own.resolve()}"
    assert lines[0].startswith("Approved microneedling/about version 1.0 (en, ar, es): ")
    assert SAMPLE not in build(kit, "approved.pdf")[1]

    words = own.read_text(encoding="utf-8")
    own.write_text(words.replace("Keep your routine gentle.", "Keep your routine mild.", 1))
    changed = build(kit, "changed.pdf")[1]
    assert changed.count(SAMPLE) == 1

    report = run("check", "--quick", "--clinic", str(kit), "--today", TODAY, code=1)  # example name
    said = finding(report, "microneedling/aftercare")
    assert said.startswith("WARNING microneedling/aftercare changed since approved on 2026-")
    assert "by Dr Ana Ruiz (still version 1.1); read the changes, then run" in said
    assert (
        "    -For a few days, your skin takes in products more easily. Keep your routine gentle."
        in report
    )
    assert (
        "    +For a few days, your skin takes in products more easily. Keep your routine mild."
        in report
    )

    review = run("review", "--clinic", str(kit), "--today", TODAY)
    assert "microneedling/aftercare: changed since approved on 2026-" in review
    assert f"  text: {own.resolve()} (your kit's own text)" in review
    assert "  readability: grade " in review and "+For a few days" in review
    assert "\nmicroneedling/about:" not in review  # approved and unchanged
    assert f"  text: {(builtin_dir('content') / 'chemical-peel' / 'about.md').resolve()}" in review


def test_an_approval_records_version_hash_who_when_and_text(kit):
    run("approve", "microneedling/about", "--by", "Dr Ana Ruiz", "--clinic", str(kit))
    record = load_approvals(kit)["microneedling/about"]["es"]
    source = (builtin_dir("content") / "microneedling" / "about.es.md").read_text("utf-8")
    markdown = source.split("\n---\n", 1)[1]
    assert record.text == markdown
    assert record.sha256 == hashlib.sha256(markdown.encode()).hexdigest()
    assert (record.version, record.by) == ("1.0", "Dr Ana Ruiz")
    assert record.at[10] == "T" and record.at[-6] in "+-"  # ISO date-time with offset
    assert set(load_approvals(kit)["microneedling/about"]) == {"en", "ar", "es"}


def test_crlf_line_endings_do_not_unapprove(kit):
    run("approve", "microneedling/aftercare", "--by", "Dr Ana Ruiz", "--clinic", str(kit))
    own = kit / "content" / "microneedling" / "aftercare.md"
    own.write_bytes(own.read_bytes().replace(b"\n", b"\r\n"))
    report = run("check", "--quick", "--clinic", str(kit), "--today", TODAY, code=1)
    assert " microneedling/aftercare " not in report


def test_approve_names_what_exists(kit):
    output = run("approve", "microneedling/afercare", "--by", "A", "--clinic", str(kit), code=1)
    assert output == (
        "Error: microneedling/afercare: microneedling has no section 'afercare'; its "
        f"sections: {', '.join(SECTIONS)}\n"
    )
    output = run("approve", "micro", "--by", "A", "--clinic", str(kit), code=1)
    assert output.startswith("Error: unknown treatment 'micro'; available: acne-")
    output = run("approve", "microneedling", "--by", "  ", "--clinic", str(kit), code=1)
    assert "--by: give the name of the person" in output
    assert not (kit / "approvals.yaml").exists()


def test_legacy_approval_counts_and_is_migrated_keeping_comments(kit):
    config = kit / "clinic.yaml"
    legacy = (
        config.read_text(encoding="utf-8")
        + '# Read by the nurse lead.\napproved:\n  microneedling/about: "1.0"  # first one\n'
        + '  microneedling/risks: "0.9"\n'
    )
    config.write_text(legacy, encoding="utf-8")
    report = run("check", "--quick", "--clinic", str(kit), "--today", TODAY, code=1)
    assert report.count("legacy approval") == 1
    assert "approved: 1 section is approved by version only (a legacy approval" in report
    assert " microneedling/about " not in report
    assert "you approved version 0.9, the text is now version 1.2" in report
    assert build(kit)[1].count(SAMPLE) == len(SECTIONS) - 1

    said = run("approve", "--by", "Dr Ana Ruiz", "--clinic", str(kit))
    assert said == "Migrated microneedling/about version 1.0 (en, ar, es) from clinic.yaml\n"
    kept = config.read_text(encoding="utf-8")
    comments = [line.strip() for line in legacy.splitlines() if line.strip().startswith("#")]
    assert all(comment in kept for comment in comments)
    assert "microneedling/about" not in kept and 'microneedling/risks: "0.9"' in kept
    assert load_clinic(kit).approved == {"microneedling/risks": "0.9"}
    assert load_approvals(kit)["microneedling/about"]["en"].by == "Dr Ana Ruiz"
    report = run("check", "--quick", "--clinic", str(kit), "--today", TODAY, code=1)
    assert "legacy" not in report and " microneedling/about " not in report
    audit = run("history", "--audit", "--clinic", str(kit))
    assert (
        "Dr Ana Ruiz  migrate microneedling/about (en): 1.0 (clinic.yaml, no text hash) -> 1.0"
        in audit
    )


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("microneedling/about: [\n", "line 2: could not read it"),
        (
            "microneedling/about:\n  en: {version: '1.0'}\n",
            "microneedling/about: en: needs version",
        ),
        ("- a list\n", "expected one entry per section"),
    ],
)
def test_a_damaged_approvals_file_is_named(tmp_path, written, problem):
    (tmp_path / "approvals.yaml").write_text(written)
    with pytest.raises(HandoutsError, match=r"approvals\.yaml: ") as raised:
        load_approvals(tmp_path)
    assert problem in raised.value.message


def test_a_failed_save_leaves_the_approvals_as_they_were(kit, monkeypatch):
    run("approve", "microneedling/about", "--by", "A", "--clinic", str(kit))
    saved = (kit / "approvals.yaml").read_bytes()

    def refuse(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("handouts.atomic.os.replace", refuse)
    output = run("approve", "microneedling/risks", "--by", "B", "--clinic", str(kit), code=1)
    assert "approvals.yaml: cannot write the file (No space left on device)" in output
    assert (kit / "approvals.yaml").read_bytes() == saved
    assert [p.name for p in kit.iterdir() if p.name.endswith(".tmp")] == []


def test_audit_log_rows_and_csv(kit):
    run("approve", "microneedling/about", "--by", "Dr Ana Ruiz", "--clinic", str(kit))
    run("approve", "microneedling/about", "--by", "=Nurse Bo", "--clinic", str(kit))
    with sqlite3.connect(database_path(load_clinic(kit))) as connection:
        rows = connection.execute("SELECT who, action, subject, old, new FROM audit").fetchall()
    assert [row[:3] for row in rows] == [
        ("Dr Ana Ruiz", "approve", "microneedling/about (en)"),
        ("Dr Ana Ruiz", "approve", "microneedling/about (ar)"),
        ("Dr Ana Ruiz", "approve", "microneedling/about (es)"),
        ("=Nurse Bo", "approve", "microneedling/about (en)"),
        ("=Nurse Bo", "approve", "microneedling/about (ar)"),
        ("=Nurse Bo", "approve", "microneedling/about (es)"),
    ]
    assert rows[0][3] is None and rows[0][4].startswith("1.0 sha256:")
    assert rows[3][3] == rows[0][4]  # the old approval, then the new one

    listed = run("history", "--audit", "--clinic", str(kit)).splitlines()
    assert (
        len(listed) == 6 and "Dr Ana Ruiz  approve microneedling/about (en): - -> 1.0" in listed[0]
    )
    table = list(csv.reader(io.StringIO(run("history", "--audit", "--csv", "--clinic", str(kit)))))
    assert table[0] == ["at", "who", "action", "subject", "old", "new"]
    assert [row[1] for row in table[1:]] == ["Dr Ana Ruiz"] * 3 + ["'=Nurse Bo"] * 3
    assert run("history", "--csv", "--clinic", str(kit), code=2)


OVERDUE_RISKS = """\
---
title: Side effects and when to call us
version: "2.0"
reviewed: 2025-11-01
review_due: 2026-11-01
sources:
  - Our own clinical team
---
Redness is common. Call us on {{ clinic.phone }} if you are worried.
"""


@pytest.fixture
def overdue_kit(kit, monkeypatch):
    """A kit whose microneedling risks section was due for review a month ago, approved."""
    (kit / "content" / "microneedling" / "risks.md").write_text(OVERDUE_RISKS)
    run("approve", "microneedling", "--by", "Dr Ana Ruiz", "--clinic", str(kit))
    monkeypatch.setenv("HANDOUTS_TODAY", TODAY)
    (kit / "appointments.csv").write_text(
        "patient_name,email,treatment,date,time,practitioner,language\n"
        "Amira Haddad,,microneedling,2026-12-03,10:30,,\n"
    )
    return kit


def test_overdue_review_is_marked_in_build_and_batch(overdue_kit):
    output, words = build(overdue_kit)
    assert words.count(OVERDUE) == 1 and SAMPLE not in words
    assert "Warning: microneedling/risks: review was due on 2026-11-01; it is printed" in output
    csv_file = str(overdue_kit / "appointments.csv")
    output = run("batch", csv_file, "--clinic", str(overdue_kit), "-o", "out", "--jobs", "1")
    [pdf] = Path("out").glob("*.pdf")
    assert text(pdf).count(OVERDUE) == 1
    assert "microneedling/risks: review was due on 2026-11-01" in output


def test_overdue_review_refused_in_build_and_batch(overdue_kit):
    config = overdue_kit / "clinic.yaml"
    config.write_text(config.read_text().replace("review_overdue: mark", "review_overdue: refuse"))
    output, _ = build(overdue_kit, code=1)
    assert output.startswith(
        "Error: microneedling/risks: review was due on 2026-11-01, so the leaflet was not made "
        "(clinic.yaml says review_overdue: refuse). To fix: review the text in "
    )
    assert "or set review_overdue: mark" in output and not Path("m.pdf").exists()
    csv_file = str(overdue_kit / "appointments.csv")
    output = run(
        "batch", csv_file, "--clinic", str(overdue_kit), "-o", "out", "--jobs", "1", code=1
    )
    assert (
        "microneedling/risks: review was due on 2026-11-01, so the leaflet was not made" in output
    )
    assert list(Path("out").glob("*.pdf")) == []


def test_review_overdue_setting_is_checked(kit):
    config = kit / "clinic.yaml"
    config.write_text(config.read_text().replace("review_overdue: mark", "review_overdue: later"))
    with pytest.raises(HandoutsError, match="review_overdue: 'later' is not allowed"):
        load_clinic(kit)


def test_demo_is_approved_in_approvals_yaml_without_legacy_lines(in_tmp):
    assert "\napproved:" not in (DEMO_CLINIC_DIR / "clinic.yaml").read_text(encoding="utf-8")
    assert load_clinic().approved == {}
    report = run("check", "--quick", "--strict", "--today", TODAY)
    assert "Everything is in order" in report
    assert "Nothing to review" in run("review", "--today", TODAY)


def test_an_upgraded_builtin_section_shows_what_changed_since_approved(kit):
    """As if the clinic approved the text of an older release: the words differ from now."""
    from handouts.approvals import approval_state, changed_since, text_digest
    from handouts.content import ContentLibrary
    from handouts.yaml_edit import load_for_edit, save_edited

    run("approve", "microneedling/about", "--by", "Dr Ana Ruiz", "--clinic", str(kit))
    document = load_for_edit(kit / "approvals.yaml")
    record = document["microneedling/about"]["en"]
    older = record["text"].replace("It breaks the skin", "It pierces the skin")
    record["text"], record["sha256"], record["version"] = older, text_digest(older), "0.9"
    save_edited(kit / "approvals.yaml", document)

    clinic, library = load_clinic(kit), ContentLibrary(kit)
    block = library.block(library.treatment("microneedling"), "about")
    state = approval_state(clinic, block)
    assert state.status == "changed" and not state.approved
    said = changed_since(state.approval, block)
    assert said.startswith("changed since approved on 2026-")
    assert "by Dr Ana Ruiz (version 0.9, now 1.0)" in said
    assert "\n-It pierces the skin, so only a trained person should do it." in said
    assert "\n+It breaks the skin, so only a trained person should do it." in said
    assert "+++ " + str(builtin_dir("content") / "microneedling" / "about.md") in said


def test_approve_needs_a_kit_not_the_builtin_demo(in_tmp):
    output = run("approve", "microneedling", "--by", "A", code=1)
    assert "--clinic: name your clinic kit; the built-in demo clinic is part of handouts" in output


def test_two_approvals_at_once_both_stay(kit):
    from concurrent.futures import ThreadPoolExecutor

    from handouts.approve import approve_sections

    with ThreadPoolExecutor(2) as pool:
        done = list(
            pool.map(
                lambda target: approve_sections([target], target.split("/")[1], kit),
                ["microneedling/about", "microneedling/risks"],
            )
        )
    assert [result[0].key for result in done] == ["microneedling/about", "microneedling/risks"]
    approvals = load_approvals(kit)
    assert approvals["microneedling/about"]["en"].by == "about"
    assert approvals["microneedling/risks"]["en"].by == "risks"


def test_overdue_review_is_marked_then_refused_in_the_web_app(overdue_kit, tmp_path):
    from handouts.web import create_app

    app = create_app(overdue_kit, cache_dir=tmp_path / "cache", workers=1, prepare=False)
    try:
        client = app.test_client()
        marked = client.get("/api/leaflet.pdf?treatment=microneedling")
        assert marked.status_code == 200 and text(marked.data).count(OVERDUE) == 1
        config = overdue_kit / "clinic.yaml"
        config.write_text(
            config.read_text().replace("review_overdue: mark", "review_overdue: refuse")
        )
        refused = client.get("/api/leaflet.pdf?treatment=microneedling")
        assert refused.status_code == 409
        assert "microneedling/risks: review was due on 2026-11-01, so the leaflet was not made" in (
            refused.get_data(as_text=True)
        )
    finally:
        app.extensions["handouts"].maker.close()


def test_overdue_review_is_marked_then_refused_in_email(overdue_kit):
    import email
    from email import policy

    config = overdue_kit / "clinic.yaml"
    config.write_text(config.read_text().replace("\n  from:\n", "\n  from: hello@example.com\n"))
    csv_file = overdue_kit / "letters.csv"
    csv_file.write_text(
        "patient_name,email,treatment,date,time,practitioner,language\n"
        "Amira Haddad,amira@example.com,microneedling,2026-12-03,10:30,,\n"
    )
    output = run("email", str(csv_file), "--clinic", str(overdue_kit), "--outbox", "outbox")
    assert "microneedling/risks: review was due on 2026-11-01" in output
    [letter] = Path("outbox").glob("*.eml")
    message = email.message_from_bytes(letter.read_bytes(), policy=policy.default)
    [pdf] = [part.get_content() for part in message.iter_attachments()]
    assert text(pdf).count(OVERDUE) == 1

    config.write_text(config.read_text().replace("review_overdue: mark", "review_overdue: refuse"))
    csv_file.write_text(csv_file.read_text().replace("Amira Haddad", "Lucía Pérez"))
    output = run("email", str(csv_file), "--clinic", str(overdue_kit), "--outbox", "later", code=1)
    assert (
        "microneedling/risks: review was due on 2026-11-01, so the leaflet was not made" in output
    )
    assert list(Path("later").glob("*.eml")) == []
