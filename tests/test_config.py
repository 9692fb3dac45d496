"""clinic.yaml: valid kits load, every problem is reported as 'file: key: problem'."""

from __future__ import annotations

import pytest

from handouts.approvals import load_approvals
from handouts.config import ConfigWarning, load_clinic
from handouts.errors import ConfigError
from handouts.paths import DEMO_CLINIC_DIR


def test_demo_clinic_is_the_default_and_marked_as_an_example():
    clinic = load_clinic()
    assert clinic.kit_dir == DEMO_CLINIC_DIR
    assert clinic.name == "Northbank Skin Clinic"
    assert "fictional" in clinic.disclaimer
    assert clinic.logo_path == DEMO_CLINIC_DIR / "logo.svg"
    assert clinic.approved == {}  # approvals.yaml holds them
    assert load_approvals(DEMO_CLINIC_DIR)["microneedling/risks"]["en"].version == "1.2"


def test_minimal_kit_gets_defaults(clinic_kit):
    clinic = load_clinic(clinic_kit())
    assert (clinic.paper, clinic.language, clinic.font) == ("a4", "en", "Atkinson Hyperlegible")
    assert clinic.colors.primary == "#1f6f78"
    assert clinic.logo_path is None


def test_values_keep_the_text_as_written(clinic_kit):
    kit = clinic_kit(
        {
            "clinic.yaml": """\
        name: Test Clinic
        phone: 0123 456
        approved:
          microneedling/about: 1.10
        mail:
          port: 465
          starttls: false
        """
        }
    )
    clinic = load_clinic(kit)
    assert clinic.phone == "0123 456"
    assert clinic.approved == {"microneedling/about": "1.10"}
    assert (clinic.mail.port, clinic.mail.starttls) == (465, False)


def test_paths_resolve_against_the_kit_folder(clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "clinic.yaml": "name: A\nphone: '1'\nlogo: art/logo.svg\n",
            "art/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        }
    )
    assert load_clinic(kit).logo_path == kit / "art" / "logo.svg"


def test_bad_colour_is_one_line_naming_file_and_key(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\ncolors:\n  primary: blue-ish\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == (
        "kit/clinic.yaml: colors.primary: 'blue-ish' is not a hex colour (write it like '#1f6f78')"
    )


def test_every_problem_is_reported_at_once(clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "clinic.yaml": """\
        address: 1 High Street
        email: not-an-email
        paper: a3
        booking_url: ftp://example.com
        logo: missing.png
        """
        }
    )
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message.splitlines() == [
        "kit/clinic.yaml: name: is required",
        "kit/clinic.yaml: phone: is required",
        "kit/clinic.yaml: email: 'not-an-email' is not an email address",
        "kit/clinic.yaml: booking_url: 'ftp://example.com' must start with https://",
        "kit/clinic.yaml: paper: 'a3' is not allowed: input should be 'a4', 'letter' or 'a5'",
    ]


def test_missing_logo_names_the_file(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nlogo: logo.png\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == (
        "kit/clinic.yaml: logo: file 'logo.png' not found next to clinic.yaml"
    )


def test_unknown_font_lists_the_bundled_ones(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nfont: Comic Sans\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == (
        "kit/clinic.yaml: font: 'Comic Sans' is not bundled "
        "(use 'Atkinson Hyperlegible', 'Noto Sans', 'Noto Sans Arabic', 'Noto Sans Hebrew', "
        "'Noto Sans SC' or a font file)"
    )


def test_yaml_syntax_error_names_the_line(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\ncolors:\n  primary: '#123456\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == (
        "kit/clinic.yaml: line 4: a quote is opened but not closed; end the value with the "
        "same quote"
    )


def test_top_level_must_be_a_mapping(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "- name\n- phone\n"})
    with pytest.raises(ConfigError, match=r"^kit/clinic.yaml: expected 'key: value' lines"):
        load_clinic(kit)


def test_unknown_keys_warn_with_a_suggestion(clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "clinic.yaml": "name: A\nphone: '1'\ncolours:\n  primary: '#000'\n"
            "colors:\n  primray: '#000'\n"
        }
    )
    with pytest.warns(ConfigWarning) as caught:
        load_clinic(kit)
    assert [str(warning.message) for warning in caught] == [
        "kit/clinic.yaml: colours: unknown key, ignored; did you mean 'colors'?",
        "kit/clinic.yaml: colors.primray: unknown key, ignored; did you mean 'primary'?",
    ]


def test_missing_kit_folder_and_file(tmp_path, in_tmp):
    with pytest.raises(ConfigError, match=r"^nowhere: clinic folder not found"):
        load_clinic(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"^empty/clinic.yaml: file not found"):
        load_clinic(tmp_path / "empty")


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        (
            "name: A\nphone: '1'\nx: &a [1, 2]\ny: *a\n",
            "line 4: aliases (*name) are not supported; write the value out",
        ),
        (
            "name: A\nphone: '1'\nname: B\n",
            "line 3: key 'name' appears twice; keep one",
        ),
        (
            "name: A\nphone: '1'\nlanguage: zz\n",
            "language: 'zz' is not a language code (use e.g. 'en', 'en-GB' or 'es')",
        ),
        (
            "name: A\nphone: '1'\ncolors: {primary: \"#1d5c63\\n\"}\n",
            "colors.primary: '#1d5c63\\n' is not a hex colour (write it like '#1f6f78')",
        ),
        (f"name: {'A' * 81}\nphone: '1'\n", "name: is too long (at most 80 characters)"),
    ],
)
def test_hostile_or_mistyped_yaml_is_one_clear_line(clinic_kit, in_tmp, yaml_text, problem):
    kit = clinic_kit({"clinic.yaml": yaml_text})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == f"kit/clinic.yaml: {problem}"


def test_non_utf8_file_is_named(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": b"name: Caf\xe9\nphone: '1'\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == "kit/clinic.yaml: not UTF-8 text; save it as UTF-8"


def test_utf8_with_bom_and_non_latin_values_load(clinic_kit):
    kit = clinic_kit(
        {
            "clinic.yaml": "\ufeffname: Clínica Dermatológica Señora Núñez\n"
            "phone: '+34 600 000 000'\nlanguage: es\n"
        }
    )
    assert load_clinic(kit).name == "Clínica Dermatológica Señora Núñez"


def test_forgiving_spellings_and_empty_sections(clinic_kit):
    kit = clinic_kit(
        {
            "clinic.yaml": "name: A\nphone: '1'\ncolours:\n  primary: '#123456'\npaper: A4\n"
            "font: atkinson hyperlegible\napproved:\nmail:\n"
        }
    )
    clinic = load_clinic(kit)
    assert clinic.colors.primary == "#123456"
    assert (clinic.paper, clinic.font, clinic.approved) == ("a4", "Atkinson Hyperlegible", {})


def test_approval_in_the_wrong_place_gets_a_hint(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nmail:\n  microneedling/about: '1.0'\n"})
    with pytest.warns(ConfigWarning) as caught:
        load_clinic(kit)
    assert str(caught[0].message) == (
        "kit/clinic.yaml: mail.microneedling/about: unknown key, ignored; section approvals go "
        "under approved:"
    )


def test_tab_indentation_is_explained(clinic_kit, in_tmp):
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\ncolors:\n\tprimary: '#123456'\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == (
        "kit/clinic.yaml: line 4: a tab character; indent with spaces instead"
    )


def test_clinic_option_may_name_the_yaml_file(clinic_kit):
    kit = clinic_kit()
    assert load_clinic(kit / "clinic.yaml").kit_dir == kit


@pytest.mark.parametrize(
    ("mail", "security", "port"),
    [
        ("{host: smtp.example.com}", "starttls", 587),
        ("{security: starttls}", "starttls", 587),
        ("{security: TLS}", "tls", 465),
        ("{starttls: true}", "starttls", 587),
        ("{starttls: false}", "tls", 465),
        ("{security: tls, starttls: false, port: 2465}", "tls", 2465),
        ("{security: none, host: localhost}", "none", 25),
        ("{security: none, host: 127.0.0.1, port: 1025}", "none", 1025),
        ("{security: none, host: '::1'}", "none", 25),
    ],
)
def test_mail_security_and_its_default_port(clinic_kit, mail, security, port):
    kit = clinic_kit({"clinic.yaml": f"name: A\nphone: '1'\nmail: {mail}\n"})
    settings = load_clinic(kit).mail
    assert (settings.security, settings.port) == (security, port)
    assert settings.starttls == (security == "starttls")


@pytest.mark.parametrize(
    ("mail", "problem"),
    [
        (
            "{security: tls, starttls: true}",
            "mail.security: tls disagrees with mail.starttls: true; keep security and delete "
            "the starttls line",
        ),
        (
            "{security: none, starttls: false, host: localhost}",
            "mail.security: none disagrees with mail.starttls: false; keep security and delete "
            "the starttls line",
        ),
        (
            "{security: none, host: smtp.office365.com}",
            "mail.security: none sends mail unencrypted; it is allowed only for a relay on this "
            "computer (host localhost or 127.0.0.1)",
        ),
        (
            "{security: ssl}",
            "mail.security: 'ssl' is not allowed: input should be 'starttls', 'tls' or 'none'",
        ),
    ],
)
def test_mail_security_mistakes_name_the_keys(clinic_kit, in_tmp, mail, problem):
    kit = clinic_kit({"clinic.yaml": f"name: A\nphone: '1'\nmail: {mail}\n"})
    with pytest.raises(ConfigError) as caught:
        load_clinic(kit)
    assert caught.value.message == f"kit/clinic.yaml: {problem}"
