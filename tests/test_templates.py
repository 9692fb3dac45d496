"""Kit templates: looked up before the built-in ones, sandboxed, contained in their folder."""

from __future__ import annotations

import pytest

from handouts import assemble_html, build_handout, load_clinic
from handouts.errors import HandoutsError, RenderError, TemplateError


def test_override_extends_builtin_and_replaces_one_block(clinic_kit):
    kit = clinic_kit(
        {
            "templates/leaflet.html": """\
        {% extends "builtin/leaflet.html" %}
        {% block header %}<p class="our-banner">Our own banner</p>{% endblock %}
        """
        },
        base="demo",
    )
    html = assemble_html(["microneedling"], load_clinic(kit)).html
    builtin = assemble_html(["microneedling"], load_clinic()).html
    assert '<p class="our-banner">Our own banner</p>' in html
    assert 'class="clinic-header"' not in html and 'class="clinic-header"' in builtin
    for unchanged in ('class="page-footer"', "When to call us", "Looking after your skin"):
        assert unchanged in html


def test_partial_override_is_used(clinic_kit):
    kit = clinic_kit(
        {"templates/partials/callout.html": "<aside>Ring {{ clinic.phone }}</aside>"}, base="demo"
    )
    html = assemble_html(["microneedling"], load_clinic(kit)).html
    assert "<aside>Ring 020 7946 0321</aside>" in html and "When to call us" not in html


@pytest.mark.parametrize(
    "expression",
    [
        "cycler.__init__.__globals__.os.popen('id').read()",
        "clinic.__class__.__mro__",
        "treatments.append(1)",
    ],
)
def test_kit_templates_cannot_reach_python(clinic_kit, in_tmp, expression):
    kit = clinic_kit(
        {
            "templates/leaflet.html": '{% extends "builtin/leaflet.html" %}'
            f"{{% block head %}}{{{{ {expression} }}}}{{% endblock %}}"
        },
        base="demo",
    )
    with pytest.raises(TemplateError, match=r"^kit/templates/leaflet\.html: line 1: .* is unsafe"):
        assemble_html(["microneedling"], load_clinic(kit))


def test_symlinked_template_outside_the_kit_is_refused(clinic_kit, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    kit = clinic_kit(base="demo")
    (kit / "templates" / "partials").mkdir(parents=True)
    (kit / "templates" / "partials" / "footer.html").symlink_to(secret)
    with pytest.raises(TemplateError, match=r"footer\.html: leads outside the clinic kit"):
        assemble_html(["microneedling"], load_clinic(kit))


def test_missing_template_names_every_folder_searched(clinic_kit, in_tmp):
    kit = clinic_kit({"templates/leaflet.html": '{% include "partials/nope.html" %}'}, base="demo")
    with pytest.raises(TemplateError) as caught:
        assemble_html(["microneedling"], load_clinic(kit))
    message = caught.value.message
    assert message.startswith("template 'partials/nope.html' not found (looked in kit/templates, ")
    assert message.endswith("templates)")


def test_broken_kit_font_stops_the_build(clinic_kit, tmp_path):
    kit = clinic_kit(
        {"clinic.yaml": "name: A\nphone: '1'\nfont: ours.ttf\n", "ours.ttf": b"not a font at all"}
    )
    with pytest.raises(HandoutsError, match=r"ours\.ttf: not a font file that can be read"):
        build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")


def test_broken_image_reports_the_reason(clinic_kit, tmp_path):
    kit = clinic_kit({"logo.svg": "this is not svg"}, base="demo")
    with pytest.raises(RenderError) as caught:
        build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    assert caught.value.message.startswith("cannot build the leaflet: Failed to load image at")
    assert caught.value.message.endswith(")")
