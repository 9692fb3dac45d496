"""Every file a leaflet is made from really lies in the kit or the built-in folders.

Real symbolic links, to files and to folders, anywhere on the way: one leading out of the
kit is one line naming the file and what to do; one staying inside the kit is fine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import block_file

from handouts.build import assemble_html, render_handout
from handouts.check import check_kit
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.errors import ConfigError, ContentError, HandoutsError, RenderError, TemplateError
from handouts.paths import DEMO_CLINIC_DIR, builtin_dir

SECRET = "OUTSIDE-THE-KIT"
LINK_ADVICE = "through a symbolic link; copy the file into the kit instead of linking to it"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder beside the kit, holding files a link could lead to."""
    folder = tmp_path / "elsewhere"
    (folder / "content" / "microneedling").mkdir(parents=True)
    shutil.copy(
        builtin_dir("content") / "microneedling" / "treatment.yaml",
        folder / "content" / "microneedling",
    )
    (folder / "content" / "microneedling" / "about.md").write_text(block_file(SECRET))
    (folder / "templates" / "labels").mkdir(parents=True)
    (folder / "templates" / "leaflet.html").write_text(SECRET)
    labels = (builtin_dir("templates") / "labels" / "en.yaml").read_text(encoding="utf-8")
    (folder / "templates" / "labels" / "en.yaml").write_text(
        labels.replace("When to call us", SECRET), encoding="utf-8"
    )
    (folder / "styles").mkdir()
    (folder / "styles" / "extra.css").write_text(f"body::after {{ content: '{SECRET}' }}")
    shutil.copy(DEMO_CLINIC_DIR / "clinic.yaml", folder / "clinic.yaml")
    shutil.copy(DEMO_CLINIC_DIR / "logo.svg", folder / "logo.svg")
    font = next((builtin_dir("styles") / "fonts").rglob("*.ttf"))
    shutil.copy(font, folder / "font.ttf")
    return folder


def _link(kit: Path, relative: str, target: Path) -> None:
    link = kit / relative
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    else:
        link.unlink(missing_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target, target_is_directory=target.is_dir())


# (what is linked, where it leads in `elsewhere`, the file the error names)
LINKS = [
    ("content", "content", "kit/content/microneedling/treatment.yaml"),
    ("content/microneedling", "content/microneedling", "kit/content/microneedling/treatment.yaml"),
    ("content/microneedling/about.md", "content/microneedling/about.md", None),
    ("templates", "templates", "kit/templates/labels/en.yaml"),
    ("templates/labels", "templates/labels", "kit/templates/labels/en.yaml"),
    ("templates/labels/en.yaml", "templates/labels/en.yaml", None),
    ("templates/leaflet.html", "templates/leaflet.html", None),
    ("styles", "styles", "kit/styles/extra.css"),
    ("styles/extra.css", "styles/extra.css", None),
    ("clinic.yaml", "clinic.yaml", None),
]


@pytest.mark.parametrize(("linked", "target", "named"), LINKS, ids=[row[0] for row in LINKS])
def test_a_link_out_of_the_kit_is_refused_naming_the_file(
    linked, target, named, clinic_kit, elsewhere, in_tmp
):
    kit = clinic_kit(base="demo")
    _link(kit, linked, elsewhere / target)
    named = named or f"kit/{linked}"
    real = (in_tmp / named).resolve()
    with pytest.raises(HandoutsError) as refused:
        assemble_html(["microneedling"], load_clinic(kit))
    assert refused.value.message == (
        f"{named}: leads outside the clinic kit (to {real}) {LINK_ADVICE}"
    )
    assert real.is_relative_to(elsewhere)


@pytest.mark.parametrize("key", ["logo", "font"])
def test_a_logo_or_font_linked_out_of_the_kit_is_refused(key, clinic_kit, elsewhere, in_tmp):
    name = "logo.svg" if key == "logo" else "font.ttf"
    kit = clinic_kit(base="demo")
    _link(kit, name, elsewhere / name)
    if key == "font":
        clinic_yaml = kit / "clinic.yaml"
        text = clinic_yaml.read_text(encoding="utf-8")
        clinic_yaml.write_text(text.replace("font: Atkinson Hyperlegible", "font: font.ttf"))
    with pytest.raises(ConfigError) as refused:
        load_clinic(kit)
    assert refused.value.message == (
        f"kit/clinic.yaml: {key}: {name!r} leads outside the clinic kit "
        f"(to {elsewhere / name}) {LINK_ADVICE}"
    )


def test_a_logo_named_outside_the_kit_is_refused(clinic_kit, elsewhere, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nlogo: ../elsewhere/logo.svg\n"})
    with pytest.raises(ConfigError) as refused:
        load_clinic(kit)
    assert refused.value.message == (
        "kit/clinic.yaml: logo: '../elsewhere/logo.svg' is outside the clinic kit; "
        "copy the file into the kit"
    )


def test_links_that_stay_inside_the_kit_are_followed(clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "shared/about.md": block_file("Text shared by two treatments."),
            "shared/labels/en.yaml": "call_us_title: Ring us when\n",
            "shared/extra.css": "h1 { letter-spacing: 0 }",
        },
        base="demo",
    )
    (kit / "content" / "microneedling").mkdir(parents=True)
    (kit / "content" / "microneedling" / "about.md").symlink_to(kit / "shared" / "about.md")
    (kit / "templates").mkdir()
    (kit / "templates" / "labels").symlink_to(kit / "shared" / "labels")
    shutil.rmtree(kit / "styles", ignore_errors=True)
    (kit / "styles").mkdir()
    (kit / "styles" / "extra.css").symlink_to(Path("..") / "shared" / "extra.css")
    handout = assemble_html(["microneedling"], load_clinic(kit))
    assert "Text shared by two treatments." in handout.html
    assert "Ring us when" in handout.html
    assert handout.stylesheets[-1] == (kit / "styles" / "extra.css").as_uri()


def test_a_kit_reached_through_a_link_works(clinic_kit, in_tmp):
    kit = clinic_kit({"content/microneedling/about.md": block_file("Our own words.")}, base="demo")
    (in_tmp / "link-to-kit").symlink_to(kit, target_is_directory=True)
    handout = assemble_html(["microneedling"], load_clinic(in_tmp / "link-to-kit"))
    assert "Our own words." in handout.html


def test_a_picture_linked_out_of_the_kit_is_not_rendered(clinic_kit, elsewhere, tmp_path):
    kit = clinic_kit(
        {"content/microneedling/about.md": block_file("![Logo](picture.svg)")}, base="demo"
    )
    (kit / "content" / "microneedling" / "picture.svg").symlink_to(elsewhere / "logo.svg")
    clinic = load_clinic(kit)
    with pytest.raises(RenderError, match=r"picture\.svg: leads outside the clinic kit"):
        render_handout(assemble_html(["microneedling"], clinic), clinic)


def test_check_reports_a_treatment_linked_out_of_the_kit(clinic_kit, elsewhere, in_tmp):
    kit = clinic_kit(base="demo")
    _link(kit, "content/microneedling", elsewhere / "content" / "microneedling")
    report = check_kit(kit)
    [finding] = [finding for finding in report.findings if finding.subject == "microneedling"]
    assert finding.severity == "error"
    assert finding.problem.startswith(
        "kit/content/microneedling/treatment.yaml: leads outside the clinic kit"
    )


def test_build_with_a_linked_templates_folder_is_one_line(clinic_kit, elsewhere, in_tmp):
    kit = clinic_kit(base="demo")
    (elsewhere / "templates" / "labels" / "en.yaml").unlink()
    _link(kit, "templates", elsewhere / "templates")
    result = CliRunner().invoke(cli, ["build", "microneedling", "--clinic", str(kit)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: kit/templates/leaflet.html: leads outside the clinic kit "
        f"(to {elsewhere / 'templates' / 'leaflet.html'}) {LINK_ADVICE}\n"
    )
    assert not (in_tmp / "microneedling.pdf").exists()


def test_a_content_error_class_for_content_and_a_template_one_for_templates(clinic_kit, elsewhere):
    kit = clinic_kit(base="demo")
    _link(kit, "content", elsewhere / "content")
    with pytest.raises(ContentError):
        assemble_html(["microneedling"], load_clinic(kit))
    kit = clinic_kit(base="demo", name="kit2")
    _link(kit, "templates", elsewhere / "templates")
    with pytest.raises(TemplateError):
        assemble_html(["microneedling"], load_clinic(kit))
