"""How clinic staff write YAML: empty values, unquoted colours, web addresses, plain errors."""

from __future__ import annotations

import pytest
from conftest import block_file

from handouts.config import load_clinic
from handouts.content import ContentLibrary
from handouts.errors import ConfigError, ContentError


@pytest.mark.parametrize("empty", ["null", "~", "Null", "NULL", ""])
def test_null_means_empty_for_optional_keys_and_sections(clinic_kit, empty):
    kit = clinic_kit(
        {
            "clinic.yaml": f"""\
        name: A
        phone: '1'
        email: {empty}
        website: {empty}
        disclaimer: {empty}
        logo: {empty}
        font: {empty}
        paper: {empty}
        language: {empty}
        approved: {empty}
        colors: {empty}
        translations: {empty}
        mail:
          host: {empty}
          port: {empty}
          starttls: {empty}
          security: {empty}
          reply_to: {empty}
        """
        }
    )
    clinic = load_clinic(kit)
    assert (clinic.email, clinic.website, clinic.disclaimer, clinic.logo) == (None,) * 4
    assert (clinic.font, clinic.paper, clinic.language) == ("Atkinson Hyperlegible", "a4", "en")
    assert (clinic.approved, clinic.translations, clinic.colors.primary) == ({}, {}, "#1f6f78")
    mail = clinic.mail
    assert (mail.host, mail.reply_to, mail.security, mail.port) == (None, None, "starttls", 587)


def test_empty_mail_section_written_as_null(clinic_kit):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nmail: ~\napproved: null\n"})
    assert load_clinic(kit).mail.port == 587


def test_quoted_null_stays_text(clinic_kit):
    kit = clinic_kit({"clinic.yaml": "name: 'null'\nphone: \"~\"\nnull: x\n"})
    with pytest.warns(UserWarning, match="null: unknown key"):
        clinic = load_clinic(kit)
    assert (clinic.name, clinic.phone) == ("null", "~")


def test_null_in_a_required_key_is_empty(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: null\nphone: '1'\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == "kit/clinic.yaml: name: is required"


def test_null_in_front_matter_means_empty(clinic_kit, in_tmp):
    block = block_file("Text.").replace("---\n", "---\nlayouts: ~\n", 1)
    kit = clinic_kit(
        {
            "content/microneedling/about.md": block,
            "content/microneedling/risks.md": block.replace("title: Test block", "title: null"),
        }
    )
    library = ContentLibrary(kit)
    treatment = library.treatment("microneedling")
    assert library.block(treatment, "about").layouts == ["leaflet", "trifold"]
    with pytest.raises(ContentError) as caught:
        library.block(treatment, "risks")
    assert caught.value.message == "kit/content/microneedling/risks.md: title: is empty"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "  primary: #0e3b5c",
            "colors.primary: is empty; a colour starts with #, which YAML reads as a comment: "
            'put it in quotes, like primary: "#0e3b5c"',
        ),
        (
            "  accent:   #FFF   # our orange",
            "colors.accent: is empty; a colour starts with #, which YAML reads as a comment: "
            'put it in quotes, like accent: "#FFF"',
        ),
        (
            "  primary:",
            'colors.primary: is empty; write a colour in quotes, like primary: "#1f6f78"',
        ),
        (
            "  primary: null",
            'colors.primary: is empty; write a colour in quotes, like primary: "#1f6f78"',
        ),
    ],
)
def test_unquoted_colour_is_explained(clinic_kit, in_tmp, line, problem):
    kit = clinic_kit({"clinic.yaml": f"name: A\nphone: '1'\ncolors:\n{line}\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == f"kit/clinic.yaml: {problem}"


INDENTED = (
    "this line is indented differently from the lines around it; "
    "line up keys at the same level with spaces"
)


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        (
            "name: A\nphone: '1'\ncolors:\n  primary: '#123'\n    accent: '#456'\n",
            f"line 5: {INDENTED}",
        ),
        ("name: A\n  phone: '1'\n", f"line 2: {INDENTED}"),
        ("mail:\n    host: a\n  port: 1\n", f"line 3: {INDENTED}"),
        ("name: A\n- phone\n", f"line 2: {INDENTED}"),
        (
            "name: A\nphone: '1'\nemergency: Call: 111\n",
            "line 3: a value contains ': '; put the value in quotes",
        ),
        (
            "name: A\nphone 123\nemail: x@y.example\n",
            "line 2: this line has no ':'; write it as key: value",
        ),
        (
            'name: A\nphone: "1\nemail: x\n',
            "line 2: a quote is opened but not closed; end the value with the same quote",
        ),
        (
            "name: A\nphone: '1'\n\tlogo: x.svg\n",
            "line 3: a tab character; indent with spaces instead",
        ),
        ("name:\tA\nphone: '1'\n", "line 1: a tab character; use a space instead"),
        (
            "name: A\nphone: '1'\nemail: @clinic\n",
            "line 3: a value cannot start with @; put the value in quotes",
        ),
        (
            "name: A\nphone: '1'\nemergency: *call* 111\n",
            "line 3: a value cannot start with *; put the value in quotes",
        ),
        (
            "name: 'A' Clinic\nphone: '1'\n",
            "line 1: text after a closing quote; put the whole value in quotes",
        ),
        (
            "name: {{ clinic }}\n",
            "line 1: a value cannot start with { or [; put the value in quotes",
        ),
        (
            "name: A\nphone: [1, 2\nemail: x\n",
            "line 2: a [ ] list is not closed; close it, or put the value in quotes",
        ),
        ("name: A\n---\nphone: '1'\n", "line 2: a line '---' starts a second document; remove it"),
    ],
)
def test_yaml_mistakes_are_plain_words_with_the_line(clinic_kit, in_tmp, yaml_text, problem):
    kit = clinic_kit({"clinic.yaml": yaml_text})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == f"kit/clinic.yaml: {problem}"


def test_front_matter_mistake_names_the_file_line(clinic_kit, in_tmp):
    block = block_file("Text.").replace("title: Test block", "title: Before: what to do")
    kit = clinic_kit({"content/microneedling/about.md": block})
    library = ContentLibrary(kit)
    with pytest.raises(ContentError) as caught:
        library.block(library.treatment("microneedling"), "about")
    assert caught.value.message == (
        "kit/content/microneedling/about.md: line 2: a value contains ': '; put the value in quotes"
    )


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("www.example.com", "https://www.example.com"),
        ("example.co.uk/book?x=1", "https://example.co.uk/book?x=1"),
        ("book.example.com:8443/now", "https://book.example.com:8443/now"),
        ("https://example.com", "https://example.com"),
        ("http://example.com", "http://example.com"),
    ],
)
def test_web_address_without_https_gets_it(clinic_kit, written, stored):
    kit = clinic_kit(
        {"clinic.yaml": f"name: A\nphone: '1'\nwebsite: {written}\nbooking_url: {written}\n"}
    )
    clinic = load_clinic(kit)
    assert (clinic.website, clinic.booking_url) == (stored, stored)


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("ftp://example.com", "'ftp://example.com' must start with https://"),
        ("javascript:alert(1)", "'javascript:alert(1)' must start with https://"),
        ("file:///etc/passwd", "'file:///etc/passwd' must start with https://"),
        ("example", "'example' is not a web address (write it like www.example.com)"),
        ("our website", "'our website' is not a web address (write it like www.example.com)"),
    ],
)
def test_other_web_addresses_are_refused(clinic_kit, in_tmp, written, problem):
    kit = clinic_kit({"clinic.yaml": f"name: A\nphone: '1'\nwebsite: '{written}'\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == f"kit/clinic.yaml: website: {problem}"
