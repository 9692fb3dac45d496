"""The leaflet's font: a bundled family by name, one kit file, or a kit family of four files."""

from __future__ import annotations

import shutil
import warnings
from datetime import date, time
from io import BytesIO

import pytest
from conftest import block_file
from pdfcheck import fonts, reader
from weasyprint.text.fonts import FontConfiguration

from handouts import assemble_html, build_handout
from handouts.appointments import Appointment
from handouts.config import BUNDLED_FONTS, ConfigError, ConfigWarning, load_clinic
from handouts.errors import ContentError
from handouts.paths import builtin_dir, display_path, kit_fingerprint

BUNDLED = builtin_dir("styles") / "fonts"
FAMILY_FILES = {
    "regular": "Harbour-Regular.ttf",
    "bold": "Harbour-Bold.ttf",
    "italic": "Harbour-Italic.ttf",
    "bold_italic": "Harbour-BoldItalic.ttf",
}
ATKINSON = {
    "regular": "AtkinsonHyperlegible-Regular.ttf",
    "bold": "AtkinsonHyperlegible-Bold.ttf",
    "italic": "AtkinsonHyperlegible-Italic.ttf",
    "bold_italic": "AtkinsonHyperlegible-BoldItalic.ttf",
}
EMPHASIS = block_file("Wash with *cool water* and pat dry. **Do not rub** the skin.")


def family_yaml(styles=FAMILY_FILES) -> str:
    lines = ["name: Harbour Dermatology", "phone: '1'", "font:", "  family: Harbour Sans"]
    lines += [f"  {style}: fonts/{name}" for style, name in styles.items()]
    return "\n".join(lines) + "\n"


def font_kit(clinic_kit, clinic_yaml: str, styles=FAMILY_FILES):
    """A kit whose own font files are copies of Atkinson Hyperlegible under other names."""
    kit = clinic_kit({"clinic.yaml": clinic_yaml, "content/microneedling/about.md": EMPHASIS})
    (kit / "fonts").mkdir()
    for style, name in styles.items():
        shutil.copy(BUNDLED / ATKINSON[style], kit / "fonts" / name)
    return kit


def embedded_faces(pdf) -> dict[str, tuple[int, bool]]:
    """Each embedded font's name -> (weight class, italic) read from the font program itself.

    WeasyPrint names a font after the face it asked for, even when it drew a bold heading
    with the regular file; the file's own OS/2 table says which file it really was.
    """
    from fontTools.ttLib import TTFont

    faces = {}
    for page in reader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            program = descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object()
            with TTFont(BytesIO(program.get_data())) as parsed:
                os2 = parsed["OS/2"]
                faces[str(font["/BaseFont"])] = (os2.usWeightClass, bool(os2.fsSelection & 1))
    return faces


def test_a_kit_font_family_prints_bold_and_italic_from_its_own_files(clinic_kit, tmp_path):
    kit = font_kit(clinic_kit, family_yaml())
    clinic = load_clinic(kit)
    assert clinic.font == "Harbour Sans"
    assert clinic.font_path == (kit / "fonts" / "Harbour-Regular.ttf").resolve()
    assert [path.name for path in clinic.font_paths] == list(FAMILY_FILES.values())
    assert not clinic.font_without_bold
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    faces = embedded_faces(result.path)
    assert all(name.split("+")[1].startswith("Clinic-Font") for name in faces), faces
    assert set(faces.values()) >= {(400, False), (700, False), (400, True)}, faces
    assert all(fonts(result.path).values())


def test_brand_css_declares_each_file_with_its_weight_and_style(clinic_kit):
    kit = font_kit(clinic_kit, family_yaml())
    html = assemble_html(["microneedling"], load_clinic(kit)).html
    faces = [line for line in html.splitlines() if "@font-face" in line]
    expected = [
        ("font-weight: 400; font-style: normal;", "Harbour-Regular.ttf"),
        ("font-weight: 700; font-style: normal;", "Harbour-Bold.ttf"),
        ("font-weight: 400; font-style: italic;", "Harbour-Italic.ttf"),
        ("font-weight: 700; font-style: italic;", "Harbour-BoldItalic.ttf"),
    ]
    assert len(faces) == 4, faces
    for line, (descriptors, name) in zip(faces, expected, strict=True):
        assert '"Clinic Font"' in line and descriptors in line
        assert f'{name}") format("truetype")' in line
    assert '--font: "Clinic Font";' in html


def test_a_single_file_kit_font_still_works_and_has_no_bold(clinic_kit, tmp_path):
    kit = font_kit(
        clinic_kit,
        "name: A\nphone: '1'\nfont: fonts/rosewood.ttf\n",
        {"regular": "rosewood.ttf"},
    )
    clinic = load_clinic(kit)
    assert clinic.font == "fonts/rosewood.ttf"
    assert clinic.font_path == (kit / "fonts" / "rosewood.ttf").resolve()
    assert clinic.font_without_bold
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    faces = embedded_faces(result.path)
    # Only the regular file exists, so headings and bold words are drawn with it.
    assert {weight for weight, _ in faces.values()} == {400}, faces
    assert any(name.endswith("+Clinic-Font") for name in faces)


def test_a_family_without_a_bold_file_is_flagged(clinic_kit):
    styles = {key: FAMILY_FILES[key] for key in ("regular", "italic")}
    clinic = load_clinic(font_kit(clinic_kit, family_yaml(styles), styles))
    assert clinic.font_without_bold
    assert list(clinic.font_files) == ["regular", "italic"]


@pytest.mark.parametrize("written", ["Noto Sans", "noto sans", "NOTO SANS"])
def test_bundled_noto_sans_can_be_chosen_by_name(clinic_kit, tmp_path, written):
    kit = clinic_kit({"clinic.yaml": f"name: A\nphone: '1'\nfont: {written}\n"})
    clinic = load_clinic(kit)
    assert (clinic.font, clinic.font_path, clinic.font_without_bold) == ("Noto Sans", None, False)
    if written != "Noto Sans":
        return
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    used = [name.split("+", 1)[1] for name in fonts(result.path)]
    assert "Noto-Sans" in used and "Noto-Sans-Bold" in used, used
    assert not any(name.startswith("Atkinson") for name in used), used


@pytest.mark.parametrize("family", BUNDLED_FONTS)
def test_every_bundled_family_can_be_chosen(clinic_kit, family):
    kit = clinic_kit({"clinic.yaml": f"name: A\nphone: '1'\nfont: {family}\n"})
    clinic = load_clinic(kit)
    assert clinic.font == family
    assert f'--font: "{family}";' in assemble_html(["microneedling"], clinic).html


def test_a_bundled_family_can_be_named_under_family(clinic_kit):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nfont:\n  family: noto sans\n"})
    assert load_clinic(kit).font == "Noto Sans"


@pytest.mark.parametrize(
    ("font", "problem"),
    [
        (
            "\n  bold: fonts/Harbour-Bold.ttf",
            "font: regular: is required with bold (the file for body text)",
        ),
        (
            "\n  regular: fonts/Harbour-Regular.ttf\n  bold: fonts/Missing-Bold.ttf",
            "font.bold: file 'fonts/Missing-Bold.ttf' not found next to clinic.yaml",
        ),
        (
            "\n  regular: fonts/Harbour-Regular.ttf\n  italic: fonts/Harbour-Italic.png",
            "font: italic: 'fonts/Harbour-Italic.png' must be a font file "
            "(.ttf, .otf, .woff, .woff2)",
        ),
        (
            "\n  regular: fonts/Harbour-Regular.ttf\n  bold: ../Harbour-Bold.ttf",
            "font.bold: '../Harbour-Bold.ttf' is outside the clinic kit; "
            "copy the file into the kit",
        ),
        (
            "\n  family: Harbour Sans",
            "font: 'Harbour Sans' is not bundled (use 'Atkinson Hyperlegible', 'Noto Sans', "
            "'Noto Sans Arabic', 'Noto Sans Hebrew', 'Noto Sans SC' or a font file)",
        ),
        ("fonts/missing.otf", "font: file 'fonts/missing.otf' not found next to clinic.yaml"),
    ],
)
def test_font_problems_name_the_key(clinic_kit, in_tmp, font, problem):
    kit = font_kit(clinic_kit, f"name: A\nphone: '1'\nfont: {font}\n")
    shutil.copy(BUNDLED / ATKINSON["bold"], in_tmp / "Harbour-Bold.ttf")
    with pytest.raises(ConfigError) as refused:
        load_clinic(kit)
    assert refused.value.message == f"kit/clinic.yaml: {problem}"


def test_an_unknown_key_under_font_warns_with_a_guess(clinic_kit, in_tmp):
    kit = font_kit(clinic_kit, family_yaml() + "  bolder: fonts/Harbour-Bold.ttf\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_clinic(kit)
    messages = [str(item.message) for item in caught if item.category is ConfigWarning]
    assert messages == ["kit/clinic.yaml: font.bolder: unknown key, ignored; did you mean 'bold'?"]


def test_each_file_of_the_family_counts_in_the_kit_fingerprint(clinic_kit):
    kit = font_kit(clinic_kit, family_yaml())
    before = kit_fingerprint(kit)
    bold = kit / "fonts" / "Harbour-Bold.ttf"
    bold.write_bytes(bold.read_bytes() + b"\0")
    assert kit_fingerprint(kit) != before


def test_a_letter_no_bundled_font_draws_names_the_file_and_line(clinic_kit, tmp_path):
    kit = clinic_kit({"content/microneedling/about.md": block_file("Fine.\n\nA \U00013000 sign.")})
    with pytest.raises(ContentError) as caught:
        build_handout(["microneedling"], kit, tmp_path / "x.pdf")
    assert caught.value.message == (
        f"{display_path(kit / 'content/microneedling/about.md')}: line 12: no bundled font can "
        "print \U00013000; write it with other letters, or leave it out"
    )
    assert not (tmp_path / "x.pdf").exists()


def test_fonts_kept_between_leaflets_that_lose_a_font_are_made_again(tmp_path):
    """A letter drawn as an empty box is never printed: the render is made again, fresh."""
    import handouts.render as render

    name = Appointment("王小明", date=date(2026, 12, 3), time=time(10, 30))
    build_handout(["microneedling"], output=tmp_path / "first.pdf")
    # The kept fonts lose the bundled faces: a font configuration that never read
    # fonts.css, with the stylesheets that did (as if its folder had gone).
    for kept in render._per_thread.resources.values():
        kept.font_config = FontConfiguration()
    result = build_handout(["microneedling"], output=tmp_path / "again.pdf", appointment=name)
    words = "".join(reader(result.path).pages[0].extract_text().split())
    assert "王小明" in words
    drawn_with = {name.split("+")[-1].replace("-", "") for name in fonts(result.path)}
    assert "NotoSansSCBold" in drawn_with, drawn_with  # the name is in bold
