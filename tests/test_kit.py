"""Making a kit your own: init, overrides, governance and `handouts check`."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from conftest import block_file
from pdfcheck import fonts, text

from handouts import assemble_html, build_handout
from handouts.approve import approve_sections
from handouts.check import check_kit
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.content import ContentLibrary
from handouts.errors import HandoutsError
from handouts.paths import builtin_dir, display_path
from handouts.scaffold import init_kit

TODAY = date(2026, 12, 1)


def others(report):
    """Findings not about approval: a kit's own text for an approved demo section is, rightly,
    "changed since approved", which tests of other checks leave aside."""
    return [f for f in report.findings if not f.problem.startswith("changed since approved")]


SAMPLE_MARK = "Sample text: not yet reviewed by your clinic"
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQ"
    "IAX8jx0gAAAABJRU5ErkJggg=="
)


def dated_block(body: str, review_due: date, version: str = "1.0") -> str:
    return block_file(body, version=version).replace(
        "review_due: 2027-10-01", f"review_due: {review_due.isoformat()}"
    )


def test_init_writes_a_commented_kit_that_builds(tmp_path):
    kit = init_kit(tmp_path / "mykit")
    for name in ("clinic.yaml", "logo.svg", "README.md", "styles/extra.css"):
        assert (kit / name).is_file()
    for folder in ("content", "templates"):
        assert (kit / folder).is_dir()
    assert "# The number patients call" in (kit / "clinic.yaml").read_text()
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    assert text(result.path).count(SAMPLE_MARK) == 7


def test_init_refuses_an_existing_folder(tmp_path, in_tmp):
    (tmp_path / "mykit").mkdir()
    (tmp_path / "mykit" / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["init", "mykit"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: mykit: already exists and is not empty; choose a new folder "
        "name (nothing was changed)\n"
    )
    assert [path.name for path in (tmp_path / "mykit").iterdir()] == ["notes.txt"]


def test_init_refuses_a_file_and_an_impossible_place(tmp_path, in_tmp):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(HandoutsError) as caught:
        init_kit(tmp_path / "notes.txt")
    assert caught.value.message == (
        "notes.txt: is a file; choose a new folder name (nothing was changed)"
    )
    with pytest.raises(HandoutsError) as caught:
        init_kit(tmp_path / "notes.txt" / "kit")
    assert caught.value.message.startswith("notes.txt/kit: cannot create the kit (")


def test_fresh_kit_check_names_the_example_values(tmp_path):
    report = check_kit(init_kit(tmp_path / "mykit"), today=TODAY, leaflets=False)
    assert report.exit_code() == 1
    problems = [finding.problem for finding in report.findings if finding.severity == "error"]
    assert problems == [
        "name: still the example 'Your Clinic Name' from 'handouts init'; put in your clinic's own",
        "phone: still the example 'Your phone number' from 'handouts init'; put in your "
        "clinic's own",
        "address: still the example '1 Example Street, Example Town, AB1 2CD' from "
        "'handouts init'; put in your clinic's own",
    ]


def test_clinic_name_colour_and_words_replace_the_builtin_ones(tmp_path):
    kit = init_kit(tmp_path / "mykit")
    config = (kit / "clinic.yaml").read_text()
    config = (
        config.replace("name: Your Clinic Name", "name: Rosewood Aesthetics")
        .replace("phone: Your phone number", "phone: 0161 496 0555")
        .replace('primary: "#1f6f78"', 'primary: "#6b2d5c"')
        .replace("address: 1 Example Street, Example Town, AB1 2CD", "address:")
    )
    (kit / "clinic.yaml").write_text(config)
    (kit / "content" / "microneedling").mkdir()
    (kit / "content" / "microneedling" / "aftercare.md").write_text(
        block_file(
            "Use our calming balm twice a day for 3 days. Call {{ clinic.phone }} with worries.",
            title="Looking after your skin afterwards",
            version="2.0",
        )
    )
    approve_sections(["microneedling/aftercare"], "Dr Rose", kit)
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    content = text(result.path)
    assert "Rosewood Aesthetics" in content
    own_words = "Use our calming balm twice a day for 3 days. Call 0161 496 0555 with worries."
    assert own_words in content
    assert "Wash with a gentle cleanser" not in content  # the built-in aftercare text
    assert content.count(SAMPLE_MARK) == 6
    assert "--primary: #6b2d5c" in assemble_html(["microneedling"], load_clinic(kit)).html

    report = check_kit(kit, today=TODAY, leaflets=False)
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1
    microneedling = [f for f in report.findings if f.subject.startswith("microneedling/")]
    assert sorted(finding.subject for finding in microneedling) == sorted(
        f"microneedling/{name}"
        for name in ("about", "what-to-expect", "benefits", "before", "risks", "alternatives")
    )
    assert microneedling[0].problem == (
        "not approved by your clinic: read "
        f"{display_path(builtin_dir('content') / 'microneedling' / 'about.md')}, then run "
        f"'handouts approve microneedling/about --by NAME --clinic {display_path(kit)}'"
    )


def test_demo_clinic_passes_check_strictly(in_tmp):
    result = CliRunner().invoke(cli, ["check", "--strict", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    library = ContentLibrary()
    treatments = len(library.slugs())
    sections = sum(len(library.treatment(slug).meta.blocks) for slug in library.slugs())
    assert result.output == (
        f"Checked Northbank Skin Clinic: {treatments} treatments, {sections} sections.\n"
        "Everything is in order: nothing to review.\n"
    )


def test_past_review_date_fails_check(clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "content/microneedling/risks.md": dated_block(
                "Call us.", review_due=date(2026, 11, 1), version="1.2"
            )
        },
        base="demo",
    )
    result = CliRunner().invoke(
        cli, ["check", "--quick", "--clinic", str(kit), "--today", TODAY.isoformat()]
    )
    assert result.exit_code == 1
    assert (
        "ERROR    microneedling/risks  review was due on 2026-11-01: review the text, then "
        "update reviewed, review_due and version"
    ) in result.output
    assert "microneedling/risks  changed since approved on" in result.output  # new words
    assert result.output.endswith("1 error, 1 warning.\n")


def test_review_due_soon_is_a_warning(clinic_kit):
    kit = clinic_kit(
        {
            "content/microneedling/risks.md": dated_block(
                "Call us.", review_due=TODAY + timedelta(days=30), version="1.2"
            )
        },
        base="demo",
    )
    report = check_kit(kit, today=TODAY, leaflets=False)
    assert [(f.severity, f.problem) for f in others(report)] == [
        ("warning", "review due on 2026-12-31 (in 30 days)")
    ]
    assert report.findings[0].file.endswith("content/microneedling/risks.md")
    assert (report.exit_code(), report.exit_code(strict=True)) == (0, 1)


def test_new_version_needs_approval_again(clinic_kit):
    kit = clinic_kit(
        {"content/microneedling/risks.md": block_file("Call us.", version="1.3")}, base="demo"
    )
    report = check_kit(kit, today=TODAY, leaflets=False)
    [finding] = report.findings
    first, *diff = finding.problem.splitlines()
    assert first.startswith("changed since approved on 2026-")
    assert first.endswith(
        "by Northbank Skin Clinic (demo) (version 1.2, now 1.3); read the changes, then run "
        "'handouts approve microneedling/risks':"
    )
    assert "-Most side effects are mild and settle on their own. It is common to have:" in diff


def test_check_collects_every_kind_of_problem(clinic_kit):
    hard = (
        "Postinflammatory hyperpigmentation occasionally necessitates comprehensive "
        "dermatological consultation, particularly following aggressive resurfacing "
        "interventions administered contemporaneously with photosensitising medication."
    )
    kit = clinic_kit(
        {
            "content/microneedling/about.md": block_file("Call {{ clinic.fax }}."),
            "content/microneedling/benefits.md": block_file("![Result](result.png)"),
            "content/microneedling/before.md": block_file(hard),
            "content/microneedling/treatment.yaml": (
                "title: M\nsummary: S\nblocks: [about, benefits, before, aftercare, risks]\n"
            ),
        },
        base="demo",
    )
    report = check_kit(kit, today=TODAY, leaflets=False)
    found = {(f.severity, f.subject): f.problem for f in others(report)}
    assert found[("warning", "microneedling")].startswith(
        "has no what-to-expect, alternatives section"
    )
    about = found[("error", "microneedling/about")]
    assert "content/microneedling/about.md: line 10: unknown placeholder {{ clinic.fax }}" in about
    assert found[("error", "microneedling/benefits")] == (
        "image 'result.png' not found in the kit; add the picture or remove it"
    )
    assert found[("warning", "microneedling/before")].startswith("reads above target: grade ")
    assert report.exit_code() == 1


def test_check_scores_a_short_version_like_the_full_text(clinic_kit):
    easy = "Keep the skin clean. Call us if it hurts."
    hard = (
        "Postinflammatory hyperpigmentation occasionally necessitates comprehensive "
        "dermatological consultation, particularly following aggressive resurfacing."
    )
    kit = clinic_kit(
        {
            "content/microneedling/aftercare.md": block_file(
                f"{easy}\n\n<!-- short -->\n\n{hard}\n", version="1.1"
            ),
            "content/microneedling/risks.md": block_file(
                f"{easy}\n\n<!-- short -->\n\nCall us if it hurts.\n", version="1.2"
            ),
        },
        base="demo",
    )
    found = [(f.subject, f.problem) for f in others(check_kit(kit, today=TODAY, leaflets=False))]
    assert len(found) == 1
    subject, problem = found[0]
    assert subject == "microneedling/aftercare"
    assert problem.startswith("its short version reads above target: grade ")
    assert "(target 6 or below), SMOG " in problem


def test_check_json_for_scripts(clinic_kit):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\ncolors: {primary: red}\n"})
    result = CliRunner().invoke(cli, ["check", "--quick", "--clinic", str(kit), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["errors"] == 1 and data["clinic"] is None
    assert data["findings"][0]["severity"] == "error"
    assert data["findings"][0]["problem"].endswith(
        "colors.primary: 'red' is not a hex colour (write it like '#1f6f78')"
    )


def test_kit_can_add_a_whole_treatment(clinic_kit, tmp_path):
    kit = clinic_kit(
        {
            "content/led-therapy/treatment.yaml": "title: LED light therapy\nsummary: Gentle light "
            "for calmer skin.\nblocks: [about]\n",
            "content/led-therapy/about.md": block_file("Lights shine on your skin for 20 minutes."),
        },
        base="demo",
    )
    result = build_handout(["led-therapy"], clinic_dir=kit, output=tmp_path / "led.pdf")
    assert "Lights shine on your skin for 20 minutes." in text(result.path)


def test_kit_font_file_and_png_logo_are_used(clinic_kit, tmp_path):
    from fontTools.ttLib import TTFont

    font = TTFont(builtin_dir("styles") / "fonts" / "AtkinsonHyperlegible-Regular.ttf")
    kit = clinic_kit(
        {
            "clinic.yaml": "name: A\nphone: '1'\nfont: fonts/rosewood.ttf\nlogo: logo.png\n",
            "logo.png": PNG_1PX,
        }
    )
    (kit / "fonts").mkdir()
    font.save(kit / "fonts" / "rosewood.ttf")
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    used = fonts(result.path)  # WeasyPrint names an embedded font after its CSS family
    assert any(name.endswith("+Clinic-Font") for name in used)
    assert not any(name.endswith("+Atkinson-Hyperlegible") for name in used)
    assert assemble_html(["microneedling"], load_clinic(kit)).html.count("logo.png") == 1


def test_extra_css_is_applied_last(clinic_kit):
    kit = clinic_kit({"styles/extra.css": ".clinic-name { color: #000; }"}, base="demo")
    from handouts import assemble_html, load_clinic

    html = assemble_html(["microneedling"], load_clinic(kit)).html
    links = [line for line in html.splitlines() if 'rel="stylesheet"' in line]
    assert links[-1].endswith('kit/styles/extra.css">')


@pytest.mark.parametrize("option", ["--strict", "--json"])
def test_check_does_not_need_weasyprint(option):
    import subprocess
    import sys

    code = (
        "import sys; from handouts.cli import main; sys.argv[1:] = ['check', "
        f"'{option}']\ntry: main()\nexcept SystemExit: pass\n"
        "assert 'weasyprint' not in sys.modules, 'check imported WeasyPrint'"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr


def test_translations_are_checked_against_the_english_version(clinic_kit):
    kit = clinic_kit(
        {
            "content/microneedling/risks.es.md": block_file("Llámenos.", version="0.9"),
            "content/microneedling/about.es.md": block_file("Llame al {{ clinic.fax }}."),
        },
        base="demo",
    )
    found = {
        (f.subject, f.severity): f.problem
        for f in others(check_kit(kit, today=TODAY, leaflets=False))
    }
    assert found[("microneedling/risks (es)", "warning")] == (
        "translates version 0.9, but the English text is version 1.2: update the translation, "
        "then its version"
    )
    assert "unknown placeholder {{ clinic.fax }}" in found[("microneedling/about (es)", "error")]


def test_misspelt_approval_and_future_review_date(clinic_kit):
    kit = clinic_kit(
        {
            "content/microneedling/risks.md": block_file("Call us.", version="1.2").replace(
                "reviewed: 2026-10-01", "reviewed: 2026-12-02"
            )
        },
        base="demo",
    )
    config = (
        kit / "clinic.yaml"
    ).read_text() + 'approved:\n  microneedling/aftercare-care: "1.0"\n'
    (kit / "clinic.yaml").write_text(config)
    found = [(f.subject, f.problem) for f in others(check_kit(kit, today=TODAY, leaflets=False))]
    assert found == [
        (
            "microneedling/risks",
            "reviewed date 2026-12-02 is in the future; use the day the text was reviewed",
        ),
        (
            "clinic.yaml",
            "approved: 'microneedling/aftercare-care' is not a section of any "
            "treatment; did you mean 'microneedling/aftercare'?",
        ),
    ]


def test_broken_clinic_yaml_is_reported_by_file(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\ncolors: {primary: red}\n"})
    result = CliRunner().invoke(cli, ["check", "--quick", "--clinic", str(kit)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "The clinic kit cannot be used until clinic.yaml is fixed:",
        "ERROR    kit/clinic.yaml  colors.primary: 'red' is not a hex colour (write it like "
        "'#1f6f78')",
        "1 error, 0 warnings.",
    ]


LIGHT_BRAND = "name: Sunny Clinic\nphone: 01632 960 001\ncolors:\n  primary: '#f5c542'\n"


def test_check_warns_about_a_brand_colour_too_light_for_text(clinic_kit):
    report = check_kit(clinic_kit({"clinic.yaml": LIGHT_BRAND}), leaflets=False)
    problems = [f.problem for f in report.findings if f.severity == "warning"]
    assert any(
        problem.startswith("colors: primary: #f5c542 on white has contrast 1.6:1, below the 4.5:1")
        for problem in problems
    )


def test_a_light_brand_colour_prints_text_in_a_readable_shade(clinic_kit, tmp_path):
    import pdfplumber

    from handouts.theme import contrast_ratio

    result = build_handout(
        ["dermaplaning"], clinic_kit({"clinic.yaml": LIGHT_BRAND}), tmp_path / "a.pdf"
    )
    with pdfplumber.open(result.path) as pdf:
        title = [char for char in pdf.pages[0].chars if char["size"] > 25]
    red, green, blue = title[0]["non_stroking_color"]
    colour = "#" + "".join(f"{round(channel * 255):02x}" for channel in (red, green, blue))
    assert colour != "#f5c542"
    assert contrast_ratio(colour, "#ffffff") >= 4.5


def test_single_brace_placeholders_are_a_warning(clinic_kit, in_tmp):
    body = (
        "Call us on { clinic.phone }.\n\n"
        "Write to {{ clinic.email }}, a {curly} aside, a set {a, b} or { phone }.\n\n"
        "<!-- {clinic.name} is only a comment -->\n"
        "Or see {clinic.website}.\n"
    )
    kit = clinic_kit(
        {
            "content/microneedling/risks.md": block_file(body, version="1.2"),
            "content/microneedling/risks.es.md": block_file(
                "Llame al {clinic.phone}}.", "T", "1.2"
            ),
        },
        base="demo",
    )
    report = check_kit(kit, today=TODAY, leaflets=False)
    assert [(f.severity, f.subject, f.problem) for f in others(report)] == [
        (
            "warning",
            "microneedling/risks",
            "kit/content/microneedling/risks.md: line 10: { clinic.phone } has single braces, "
            "so it is printed as written; write {{ clinic.phone }}",
        ),
        (
            "warning",
            "microneedling/risks",
            "kit/content/microneedling/risks.md: line 15: {clinic.website} has single braces, "
            "so it is printed as written; write {{ clinic.website }}",
        ),
        (
            "warning",
            "microneedling/risks (es)",
            "kit/content/microneedling/risks.es.md: line 10: {clinic.phone}} has single braces, "
            "so it is printed as written; write {{ clinic.phone }}",
        ),
    ]


def test_new_kit_documents_mail_security(tmp_path):
    kit = init_kit(tmp_path / "mykit")
    written = (kit / "clinic.yaml").read_text()
    assert "  security: starttls\n" in written and "starttls: true" not in written
    mail = load_clinic(kit).mail
    assert (mail.security, mail.port) == ("starttls", 587)
