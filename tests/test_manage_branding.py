"""The manager's clinic page (/manage/clinic) through Flask's test client, on `handouts init` kits.

clinic.yaml is read back as text, leaflets are made with ``make_leaflet`` and read with pypdf,
the audit log from the kit's real history file. Hostile uploads are real files made here.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest
from manage_support import MANAGER_CODE, csrf_token, run
from PIL import Image
from pypdf import PdfReader
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from handouts.config import load_clinic
from handouts.errors import ConfigError
from handouts.history import database_path
from handouts.leaflet import make_leaflet
from handouts.paths import DEMO_CLINIC_DIR, builtin_dir
from handouts.request import LeafletRequest
from handouts.web import create_app

WHO = "Dr Ana Ruiz"
FONTS = builtin_dir("styles") / "fonts"


@pytest.fixture
def kit(fresh_kit: Path) -> Path:
    return fresh_kit


@pytest.fixture
def manager(kit, make_manager):
    return make_manager(kit)


def post(client, form: str, data: dict, by: str = WHO):
    """POST one of the clinic page's forms, with its CSRF token and the manager's name.

    Uploads (``(stream, name)`` values) are sent as a multipart body encoded in memory.
    """
    sent = {"csrf_token": csrf_token(client, "/manage/clinic"), "by": by, **data}
    if not any(isinstance(value, tuple) for value in data.values()):
        return client.post(f"/manage/clinic/{form}", data=sent)
    parts = {
        key: FileStorage(value[0], filename=value[1]) if isinstance(value, tuple) else value
        for key, value in sent.items()
    }
    boundary, body = encode_multipart(parts)
    kind = f"multipart/form-data; boundary={boundary}"
    return client.post(f"/manage/clinic/{form}", data=body, content_type=kind)


def upload_logo(client, data: bytes, name: str):
    return post(client, "logo", {"logo": (io.BytesIO(data), name)})


def problems(response) -> list[str]:
    """The problems shown next to fields."""
    found = re.findall(r'class="field-problem"[^>]*>([^<]*)<', response.get_data(as_text=True))
    return [html.unescape(text) for text in found]


def picture(kind: str, size=(600, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (29, 92, 99)).save(out, kind)
    return out.getvalue()


def leaflet_images(kit: Path) -> list[tuple[int, int]]:
    leaflet = make_leaflet(LeafletRequest(("microneedling",)), load_clinic(kit))
    first = PdfReader(io.BytesIO(leaflet.pdf)).pages[0]
    return [image.image.size for image in first.images]


def audit_rows(kit: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(database_path(load_clinic(kit))) as connection:
        rows = connection.execute("SELECT who, action, subject, old, new FROM audit ORDER BY id")
        return rows.fetchall()


def test_the_clinic_page_shows_every_clinic_yaml_value_in_a_labelled_field(manager, kit):
    page = manager.get("/manage/clinic").get_data(as_text=True)
    assert '<a href="/manage/clinic" aria-current="page">Clinic</a>' in page
    for label, key, value in [
        ("Clinic name", "name", "Your Clinic Name"),
        ("Phone", "phone", "Your phone number"),
        ("Address", "address", "1 Example Street, Example Town, AB1 2CD"),
        (
            "When the clinic is closed",
            "emergency",
            "call NHS 111 for advice, or 999 in an emergency",
        ),
        ("Language", "language", "en-GB"),
        ("Mail server", "mail.host", ""),
    ]:
        field_id = key.replace(".", "-")
        assert f'<label for="{field_id}">{label}' in page
        assert f'name="{key}" value="{value}' in page
    assert '<option value="a4" selected>a4</option>' in page
    assert '<option value="mark" selected>mark</option>' in page
    assert 'name="colors.primary" value="#1f6f78"' in page and 'type="color"' in page
    assert '<option value="Atkinson Hyperlegible" selected>' in page
    # The CSP allows no inline script: the page's only scripts are files of the app.
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    with manager.get("/static/branding.js") as script:
        assert script.status_code == 200 and b"contrast" in script.data


def test_saving_details_changes_only_their_lines_and_keeps_comments_and_order(manager, kit):
    config = kit / "clinic.yaml"
    before = config.read_text(encoding="utf-8")
    saved = post(
        manager,
        "details",
        {
            "name": "Riverside Skin Clinic",
            "phone": "020 7946 0999",
            "email": "hello@riverside.example",
            "minimum_age": "21",
            "mail.host": "smtp.riverside.example",
        },
    )
    assert saved.status_code == 303 and saved.headers["Location"].startswith("/manage/clinic?")
    after = config.read_text(encoding="utf-8")
    replaced = {
        "name: Your Clinic Name": "name: Riverside Skin Clinic",
        "phone: Your phone number": "phone: 020 7946 0999",
        "email:\n": "email: hello@riverside.example\n",
        "  host:\n": "  host: smtp.riverside.example\n",
    }
    expected = before
    for old, new in replaced.items():
        expected = expected.replace(old, new, 1)
    # A key not there yet goes after the last key, before the closing comments (which are
    # about the commented-out example below them).
    last_key = re.findall(r"(?m)^[a-z_]+:.*\n", before)[-1]
    assert after == expected.replace(last_key, last_key + "minimum_age: 21\n", 1)
    clinic = load_clinic(kit)
    assert (clinic.name, clinic.minimum_age, clinic.mail.host) == (
        "Riverside Skin Clinic",
        21,
        "smtp.riverside.example",
    )
    page = manager.get(saved.headers["Location"]).get_data(as_text=True)
    assert f"Saved by {WHO}: name, phone, email, minimum_age, mail.host changed" in page
    assert "Riverside Skin Clinic" in page


def test_a_save_keeps_what_another_writer_changed_since_the_page_was_opened(manager, kit):
    token = csrf_token(manager, "/manage/clinic")
    config = kit / "clinic.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("paper: a4", "paper: letter  # US desk"),
        encoding="utf-8",
    )
    data = {"csrf_token": token, "by": WHO, "name": "Riverside Skin Clinic"}
    assert manager.post("/manage/clinic/details", data=data).status_code == 303
    text = config.read_text(encoding="utf-8")
    assert "paper: letter  # US desk" in text and "name: Riverside Skin Clinic" in text


def test_bad_values_are_refused_with_the_messages_loading_clinic_yaml_gives(manager, kit, tmp_path):
    config = kit / "clinic.yaml"
    before = config.read_bytes()
    typed = {
        "name": "Riverside",
        "email": "hello at riverside",
        "website": "javascript:alert(1)",
        "minimum_age": "12",
        "language": "klingon",
    }
    refused = post(manager, "details", typed)
    assert refused.status_code == 400
    assert config.read_bytes() == before
    page = refused.get_data(as_text=True)
    assert "Not saved: 4 problems, shown below next to their fields." in page
    assert 'value="hello at riverside"' in page  # what was typed stays in the form

    # The same values written into clinic.yaml by hand: load_clinic's own words.
    copy = tmp_path / "by-hand"
    shutil.copytree(kit, copy)
    text = (copy / "clinic.yaml").read_text(encoding="utf-8")
    text = text.replace("email:\n", "email: hello at riverside\n")
    text = text.replace("website:\n", "website: javascript:alert(1)\n")
    text = text.replace("language: en-GB", "language: klingon") + "minimum_age: 12\n"
    (copy / "clinic.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_clinic(copy)
    said = [line.split(": ", 2)[2] for line in error.value.message.splitlines()]
    assert sorted(problems(refused)) == sorted(said)
    assert "'hello at riverside' is not an email address" in said


def test_an_empty_name_is_refused_as_loading_would(manager, kit):
    refused = post(manager, "details", {"name": "  "})
    assert refused.status_code == 400 and problems(refused) == ["is required"]


def test_saving_needs_the_managers_name(manager, kit):
    before = (kit / "clinic.yaml").read_bytes()
    refused = post(manager, "details", {"name": "Riverside"}, by="")
    assert refused.status_code == 400 and "Type your name" in problems(refused)[0]
    assert (kit / "clinic.yaml").read_bytes() == before


def test_colours_are_saved_in_their_quotes_and_a_primary_too_light_for_text_is_refused(
    manager, kit
):
    config = kit / "clinic.yaml"
    before = config.read_bytes()
    refused = post(manager, "colours", {"colors.primary": "#f5c542", "colors.accent": "#e8a33d"})
    assert refused.status_code == 400
    assert problems(refused) == [  # handouts check's warning, word for word
        "#f5c542 on white has contrast 1.6:1, below the 4.5:1 that text needs (WCAG AA); "
        "leaflets print text in #8e7226 instead. Choose a darker colour to pick the shade yourself"
    ]
    assert config.read_bytes() == before
    bad = post(manager, "colours", {"colors.primary": "teal", "colors.accent": "#e8a33d"})
    assert problems(bad) == ["'teal' is not a hex colour (write it like '#1f6f78')"]

    saved = post(manager, "colours", {"colors.primary": "#0E3B5C", "colors.accent": "#c2410c"})
    assert saved.status_code == 303
    text = config.read_text(encoding="utf-8")
    assert 'primary: "#0E3B5C"\n  accent: "#c2410c"' in text
    assert load_clinic(kit).colors.primary == "#0e3b5c"
    page = manager.get(saved.headers["Location"]).get_data(as_text=True)
    assert "11.7:1 on white: text in it reads well." in page


def test_the_demo_clinic_is_not_changed_from_the_clinic_page(make_manager):
    before = (DEMO_CLINIC_DIR / "clinic.yaml").read_bytes()
    client = make_manager(None)
    page = client.get("/manage/clinic").get_data(as_text=True)
    assert "built-in demo clinic, which cannot be changed here" in page
    assert page.count('<fieldset class="plain-fieldset" disabled>') == 5
    refused = post(client, "details", {"name": "Someone Else"})
    again = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Not saved: clinic: name your clinic kit; the built-in demo clinic" in again
    refused = upload_logo(client, picture("PNG"), "logo.png")
    assert refused.status_code == 303
    assert (DEMO_CLINIC_DIR / "clinic.yaml").read_bytes() == before
    assert not (DEMO_CLINIC_DIR / "logo.png").exists()


@pytest.mark.parametrize(("kind", "suffix"), [("PNG", ".png"), ("JPEG", ".jpg")])
def test_a_png_or_jpeg_logo_goes_into_the_kit_and_prints_in_the_leaflet(
    manager, kit, tmp_path, kind, suffix
):
    assert (600, 200) not in leaflet_images(kit)  # the kit's SVG logo is drawn, not an image
    saved = upload_logo(manager, picture(kind), f"../../x{suffix}")
    assert saved.status_code == 303, problems(saved)
    assert not (tmp_path / f"x{suffix}").exists() and not (kit.parent / f"x{suffix}").exists()
    assert (kit / f"logo{suffix}").read_bytes() == picture(kind)
    assert f"logo: logo{suffix}\n" in (kit / "clinic.yaml").read_text(encoding="utf-8")
    assert (600, 200) in leaflet_images(kit)

    page = manager.get(saved.headers["Location"]).get_data(as_text=True)
    assert f"logo changed in clinic.yaml; logo{suffix} saved in the kit" in page
    [image] = re.findall(r'<img src="(/manage/clinic/preview/[^"]+/page-1\.png)"', page)
    shown = manager.get(image)
    assert shown.mimetype == "image/png" and shown.data.startswith(b"\x89PNG")


def _bomb_png() -> bytes:
    """A valid PNG header for 30000 by 30000 pixels over a few bytes of zeros."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        size = len(body).to_bytes(4, "big")
        return size + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = (30000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    rows = zlib.compress(b"\0" * 30001 * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'viewBox="0 0 10 10">{}</svg>'
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [\n <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
    '<svg xmlns="http://www.w3.org/2000/svg"><text>&lol3;</text></svg>'
)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("logo.svg", SVG.format("<script>alert(1)</script>"), "has a <script> element"),
        (
            "logo.svg",
            SVG.replace("viewBox", 'onload="alert(1)" viewBox').format(""),
            "has an event handler attribute (onload= on <svg>)",
        ),
        (
            "logo.svg",
            SVG.format('<image href="http://tracker.example/p.png" width="10" height="10"/>'),
            "links outside itself (href='http://tracker.example/p.png' on <image>)",
        ),
        (
            "logo.svg",
            SVG.format('<image href="file:///etc/passwd" width="10" height="10"/>'),
            "links outside itself (href='file:///etc/passwd' on <image>)",
        ),
        (
            "logo.svg",
            SVG.format('<use xlink:href="other.svg#mark"/>'),
            "links outside itself (href='other.svg#mark' on <use>)",
        ),
        (
            "logo.svg",
            SVG.format('<rect width="5" height="5" style="fill: url(http://x.example/a)"/>'),
            "links outside itself (url('http://x.example/a') in style= on <rect>)",
        ),
        (
            "logo.svg",
            SVG.format('<a href="javascript:alert(1)"><rect width="5" height="5"/></a>'),
            "has a javascript: URL (in href= on <a>)",
        ),
        (
            "logo.svg",
            SVG.format("<foreignObject><p>hi</p></foreignObject>"),
            "has a <foreignObject> element (HTML inside the SVG)",
        ),
        (
            "logo.svg",
            SVG.format('<a href="#m"><set attributeName="href" to="http://x.example/"/></a>'),
            "changes a link by animation (<set> of href)",
        ),
        ("logo.svg", BILLION_LAUGHS, "has an ENTITY declaration (entity expansion is refused)"),
        (
            "logo.svg",
            '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/x.dtd">'
            + SVG.format(""),
            "has a DOCTYPE declaration; save the SVG without one",
        ),
        ("logo.svg", picture("PNG"), "is a PNG file, not SVG as its name says"),
        (
            "logo.svg",
            "<html><body><script>alert(1)</script></body></html>",
            "is not an SVG image (its content is <html>, not <svg>)",
        ),
        ("logo.png", b"GIF89a" + bytes(100), "is not a PNG, JPEG or SVG image"),
        ("logo.png", picture("PNG")[:200], "is not a PNG image that can be read"),
        ("huge.png", picture("PNG") + bytes(2 * 1024 * 1024), "is 2.0 MB; at most 2 MB"),
        ("wide.png", picture("PNG", (4200, 10)), "is 4200 by 10 pixels; at most 4000 pixels"),
        ("bomb.png", _bomb_png(), "has far too many pixels (a decompression bomb)"),
    ],
)
def test_hostile_or_wrong_logo_uploads_are_refused_each_with_its_reason(
    manager, kit, name, data, reason
):
    before = (kit / "clinic.yaml").read_bytes()
    data = data.encode() if isinstance(data, str) else data
    refused = upload_logo(manager, data, name)
    assert refused.status_code == 400
    [said] = problems(refused)
    assert said.startswith(f"{name!r} {reason}"), said
    assert (kit / "clinic.yaml").read_bytes() == before
    assert sorted(path.name for path in kit.glob("logo.*")) == ["logo.svg"]


def test_an_upload_past_the_request_limit_is_refused_before_it_is_read(manager, kit):
    refused = upload_logo(manager, bytes(10 * 1024 * 1024), "logo.png")
    assert refused.status_code == 413
    assert "Too much data" in refused.get_data(as_text=True)


def test_a_safe_svg_with_an_embedded_png_is_accepted(manager, kit):
    import base64

    embedded = base64.b64encode(picture("PNG", (20, 10))).decode()
    svg = SVG.format(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#123"/></linearGradient></defs>'
        '<rect width="10" height="10" fill="url(#g)"/>'
        f'<image width="10" height="5" href="data:image/png;base64,{embedded}"/>'
    )
    saved = upload_logo(manager, svg.encode(), "mark.svg")
    assert saved.status_code == 303, problems(saved)
    assert (kit / "logo.svg").read_text(encoding="utf-8") == svg
    assert load_clinic(kit).logo == Path("logo.svg")


def test_a_bundled_font_is_chosen_by_name(manager, kit):
    saved = post(manager, "font", {"choice": "bundled", "family": "Noto Sans"})
    assert saved.status_code == 303
    assert "font: Noto Sans\n" in (kit / "clinic.yaml").read_text(encoding="utf-8")
    leaflet = make_leaflet(LeafletRequest(("microneedling",)), load_clinic(kit))
    fonts = PdfReader(io.BytesIO(leaflet.pdf)).pages[0]["/Resources"]["/Font"]
    assert any("+Noto-Sans" in font.get_object()["/BaseFont"] for font in fonts.values())
    refused = post(manager, "font", {"choice": "bundled", "family": "Comic Sans"})
    assert problems(refused) == ["Choose one of the bundled fonts."]


def test_a_font_family_is_uploaded_into_the_kits_fonts_folder(manager, kit):
    faces = {
        "font.regular": (FONTS / "AtkinsonHyperlegible-Regular.ttf", "a.ttf"),
        "font.bold": (FONTS / "AtkinsonHyperlegible-Bold.ttf", "../../b.ttf"),
    }
    data = {key: (io.BytesIO(path.read_bytes()), name) for key, (path, name) in faces.items()}
    saved = post(manager, "font", {"choice": "files", "font_family": "Our Font", **data})
    assert saved.status_code == 303, problems(saved)
    clinic = load_clinic(kit)
    assert clinic.font_choice.family == "Our Font"
    assert clinic.font_files == {
        "regular": (kit / "fonts" / "OurFont-Regular.ttf").resolve(),
        "bold": (kit / "fonts" / "OurFont-Bold.ttf").resolve(),
    }
    assert (kit / "fonts" / "OurFont-Bold.ttf").read_bytes() == faces["font.bold"][0].read_bytes()
    text = (kit / "clinic.yaml").read_text(encoding="utf-8")
    assert "font:\n  family: Our Font\n  regular: fonts/OurFont-Regular.ttf\n" in text
    assert "# A bundled family:" in text  # the comments above it stay
    leaflet = make_leaflet(LeafletRequest(("microneedling",)), clinic)
    assert leaflet.pages == 2


def test_a_font_upload_that_is_not_a_font_is_refused(manager, kit):
    before = (kit / "clinic.yaml").read_bytes()
    data = {
        "font.regular": (io.BytesIO(picture("PNG")), "regular.ttf"),
        "font.bold": (io.BytesIO(b"\x00\x01\x00\x00" + bytes(64)), "bold.ttf"),
    }
    refused = post(manager, "font", {"choice": "files", **data})
    assert refused.status_code == 400
    said = problems(refused)
    assert said[0] == "'regular.ttf' is not a TTF, OTF, WOFF or WOFF2 font file"
    assert said[1] == "'bold.ttf' is not a font that can be read (no character map)"
    assert (kit / "clinic.yaml").read_bytes() == before and not (kit / "fonts").exists()
    nothing = post(manager, "font", {"choice": "files"})
    assert problems(nothing) == ["Choose the regular font file: body text prints in it."]


def test_every_save_goes_in_the_audit_log_the_page_and_the_cli(manager, kit):
    post(manager, "details", {"name": "Riverside Skin Clinic"})
    post(manager, "colours", {"colors.primary": "#0e3b5c", "colors.accent": "#e8a33d"})
    upload_logo(manager, picture("PNG"), "logo.png")
    post(manager, "font", {"choice": "bundled", "family": "Noto Sans"})
    rows = audit_rows(kit)
    assert [row[:3] for row in rows] == [
        (WHO, "branding", "name"),
        (WHO, "branding", "colors.primary"),
        (WHO, "branding", "logo"),
        (WHO, "branding", "logo.png"),
        (WHO, "branding", "font"),
    ]
    assert rows[0][3:] == ("Your Clinic Name", "Riverside Skin Clinic")
    assert rows[1][3:] == ("#1f6f78", "#0e3b5c")
    assert rows[2][3:] == ("logo.svg", "logo.png")
    assert rows[3][4].startswith(f"{len(picture('PNG')):,} bytes, sha256:")
    page = manager.get("/manage/audit").get_data(as_text=True)
    assert "<td>Branding</td>" in page and "<code>colors.primary</code>" in page
    said = run("history", "--audit", "--clinic", str(kit))
    assert "branding" in said and "colors.primary" in said and "Riverside Skin Clinic" in said


def preview_text(client, location: str) -> str:
    """The words of the leaflet the clinic page previews after a save."""
    preview_id = re.search(r"preview=([^&#]+)", location).group(1)
    found = client.application.extensions["handouts"].previews.get(preview_id)
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(found.leaflet.pdf)).pages)


def test_the_preview_after_each_save_is_made_with_the_new_details_not_a_cached_leaflet(manager):
    first = post(manager, "details", {"name": "Riverside Skin Clinic"})
    assert "Riverside Skin Clinic" in preview_text(manager, first.headers["Location"])
    second = post(manager, "details", {"name": "Harbour Skin Clinic"})
    words = preview_text(manager, second.headers["Location"])
    assert "Harbour Skin Clinic" in words and "Riverside" not in words
    page = manager.get(second.headers["Location"]).get_data(as_text=True)
    assert page.count('src="/manage/clinic/preview/') == 2  # both pages of the leaflet


def test_writers_at_the_same_time_never_lose_each_others_changes(kit):
    from concurrent.futures import ThreadPoolExecutor

    from handouts.clinic_edit import ClinicEdit, edit_clinic

    codes = ["es", "fr", "de", "it", "pt", "nl", "pl", "ar"]
    with ThreadPoolExecutor(len(codes)) as pool:
        edits = [
            pool.submit(edit_clinic, kit, ClinicEdit({f"translations.{code}.address": code}), WHO)
            for code in codes
        ]
        [edit.result() for edit in edits]
    clinic = load_clinic(kit)
    assert {code: words.address for code, words in clinic.translations.items()} == {
        code: code for code in codes
    }
    assert len(audit_rows(kit)) == len(codes)


def test_text_typed_in_a_box_keeps_its_lines_and_an_unchanged_form_changes_nothing(manager, kit):
    saved = post(manager, "details", {"disclaimer": "Line one.\r\nLine two."})
    assert saved.status_code == 303
    assert load_clinic(kit).disclaimer == "Line one.\nLine two."
    before = (kit / "clinic.yaml").read_bytes()
    again = post(
        manager, "details", {"disclaimer": "Line one.\r\nLine two.", "name": "Your Clinic Name"}
    )
    assert "Nothing changed" in manager.get(again.headers["Location"]).get_data(as_text=True)
    assert (kit / "clinic.yaml").read_bytes() == before


def test_the_logo_can_be_left_off(manager, kit):
    saved = post(manager, "logo", {"remove": "1"})
    assert saved.status_code == 303
    assert load_clinic(kit).logo is None and (kit / "logo.svg").is_file()
    assert audit_rows(kit)[-1][2:] == ("logo", "logo.svg", None)


def test_a_language_is_added_with_its_own_words_checked_as_loading_would(manager, kit):
    words = {"new_language": "es", "new_language.address": "Calle Mayor 1, Madrid"}
    assert post(manager, "details", words).status_code == 303
    assert load_clinic(kit).translations["es"].address == "Calle Mayor 1, Madrid"
    page = manager.get("/manage/clinic").get_data(as_text=True)
    assert 'name="translations.es.address" value="Calle Mayor 1, Madrid"' in page

    long = {"new_language": "fr", "new_language.disclaimer": "x" * 301}
    refused = post(manager, "details", long)
    assert refused.status_code == 400
    assert problems(refused) == ["is too long (at most 300 characters)"]
    assert 'id="translations-fr-disclaimer"' in refused.get_data(as_text=True)
    assert "fr:" not in (kit / "clinic.yaml").read_text(encoding="utf-8")


def test_forms_without_the_csrf_token_or_the_sign_in_are_refused(kit, make_manager, tmp_path):
    client = make_manager(kit)
    before = (kit / "clinic.yaml").read_bytes()
    refused = client.post("/manage/clinic/details", data={"by": WHO, "name": "Riverside"})
    assert refused.status_code == 400 and "This form has expired" in refused.get_data(True)
    stranger = create_app(
        kit, cache_dir=tmp_path / "cache", prepare=False, manager_code=MANAGER_CODE
    )
    outside = stranger.test_client()
    assert outside.get("/manage/clinic").headers["Location"].startswith("/manage/login")
    stranger.extensions["handouts"].maker.close()
    assert (kit / "clinic.yaml").read_bytes() == before


@pytest.mark.xdist_group("chromium")
def test_in_chromium_the_contrast_shows_as_typed_and_a_large_logo_goes_through_the_server(
    kit, tmp_path, page
):
    """Through `handouts serve` (waitress takes the 1.4 MB upload) and the page's own script."""
    import os

    from conftest import handouts_serve
    from playwright.sync_api import expect

    noise = Image.frombytes("RGB", (800, 600), os.urandom(800 * 600 * 3))
    logo = tmp_path / "big-logo.png"
    noise.save(logo)
    assert 1024 * 1024 < logo.stat().st_size < 2 * 1024 * 1024
    env = {"HANDOUTS_HOME": str(tmp_path / "home"), "HANDOUTS_MANAGER_CODE": MANAGER_CODE}
    with handouts_serve("--clinic", str(kit), env=env) as address:
        page.goto(address + "/manage/clinic")
        page.get_by_label("Manager code").fill(MANAGER_CODE)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Clinic details and branding")).to_be_visible()

        page.locator("#colors-primary").fill("#f5c542")
        expect(page.locator("#colors-primary-contrast")).to_have_text(
            "1.6:1 on white: too light for text (needs 4.5:1); choose a darker colour."
        )
        page.locator("#colours-by").fill(WHO)
        page.get_by_role("button", name="Save colours").click()
        expect(page.locator("#colours .field-problem")).to_contain_text("below the 4.5:1")
        page.locator("#colors-primary-picker").fill("#0e3b5c")
        expect(page.locator("#colors-primary")).to_have_value("#0e3b5c")
        expect(page.locator("#colors-primary-contrast")).to_have_text(
            "11.7:1 on white: text in it reads well."
        )
        page.get_by_role("button", name="Save colours").click()
        expect(page.get_by_role("status")).to_contain_text("colors.primary changed")

        page.locator("#logo-file").set_input_files(logo)
        page.locator("#logo-by").fill(WHO)
        page.get_by_role("button", name="Upload logo").click()
        expect(page.get_by_role("status")).to_contain_text("logo.png saved in the kit")
        expect(page.locator(".preview-pages img")).to_have_count(2)
        page.screenshot(path="/tmp/manage-clinic-desktop.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 900})
        page.screenshot(path="/tmp/manage-clinic-phone.png", full_page=True)
    assert (kit / "logo.png").read_bytes() == logo.read_bytes()
    assert load_clinic(kit).colors.primary == "#0e3b5c"
