"""The treatment library, front matter, placeholders and Markdown sanitising."""

from __future__ import annotations

import pytest
from conftest import block_file

from handouts.build import assemble_html
from handouts.config import load_clinic
from handouts.content import STANDARD_BLOCKS, ContentLibrary
from handouts.errors import ConfigError, ContentError
from handouts.markup import UnsafeImageError, markdown_to_html
from handouts.templating import PLACEHOLDERS, fill_placeholders, placeholder_values


def test_builtin_microneedling_has_every_standard_block_with_front_matter():
    library = ContentLibrary()
    treatment = library.treatment("microneedling")
    assert tuple(treatment.meta.blocks) == STANDARD_BLOCKS
    for block in library.blocks(treatment):
        assert block.meta.title and block.meta.version and block.meta.sources
        assert block.meta.reviewed < block.meta.review_due
        assert block.body.strip()


def test_unknown_treatment_lists_the_ones_that_exist():
    with pytest.raises(ContentError) as caught:
        ContentLibrary().treatment("no-such-thing")
    available = ", ".join(ContentLibrary().slugs())
    assert "microneedling" in available
    assert caught.value.message == f"unknown treatment 'no-such-thing'; available: {available}"


def test_kit_block_replaces_builtin_block(clinic_kit):
    kit = clinic_kit({"content/microneedling/aftercare.md": block_file("Our own aftercare.")})
    block = ContentLibrary(kit).block(ContentLibrary(kit).treatment("microneedling"), "aftercare")
    assert block.body.strip() == "Our own aftercare."
    assert block.path == kit / "content" / "microneedling" / "aftercare.md"


def test_block_without_front_matter_is_refused(clinic_kit, in_tmp):
    kit = clinic_kit({"content/microneedling/about.md": "Just text.\n"})
    library = ContentLibrary(kit)
    with pytest.raises(ContentError) as caught:
        library.block(library.treatment("microneedling"), "about")
    assert caught.value.message.startswith(
        "kit/content/microneedling/about.md: line 1: missing front matter"
    )


def test_front_matter_problems_name_file_and_field(clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "content/microneedling/about.md": "---\ntitle: About\nversion: '1'\n"
            "reviewed: soon\nreview_due: 2027-01-01\n---\nText\n"
        }
    )
    library = ContentLibrary(kit)
    with pytest.raises(ContentError) as caught:
        library.block(library.treatment("microneedling"), "about")
    assert caught.value.message.splitlines() == [
        "kit/content/microneedling/about.md: reviewed: 'soon' is not a date; write it as "
        "YYYY-MM-DD",
        "kit/content/microneedling/about.md: sources: is required",
    ]


def test_placeholder_values_are_plain_text_never_markup():
    values = {
        "clinic": {
            "phone": "020 *7946* 0321",
            "name": "<i>A&B</i> {{ clinic.__class__ }}",
            "booking_url": "https://book.example/?a=1&b=2",
        }
    }
    text, placeholders = fill_placeholders(
        "Call {{ clinic.phone }} at {{ clinic.name }}. [Book]({{ clinic.booking_url }})",
        values,
        "x.md",
    )
    assert "{{" not in text and "020" not in text
    html = markdown_to_html(text, placeholders=placeholders)
    assert html == (
        "<p>Call 020 *7946* 0321 at &lt;i&gt;A&amp;B&lt;/i&gt; {{ clinic.__class__ }}."
        ' <a href="https://book.example/?a=1&amp;b=2" rel="noopener">Book</a></p>'
    )
    # On a right-to-left page, Latin values keep their order in an isolating span.
    html = markdown_to_html(text, placeholders=placeholders, keep_values_ltr=True)
    assert html.startswith('<p>Call <span dir="ltr">020 *7946* 0321</span> at ')
    assert ' <a href="https://book.example/?a=1&amp;b=2" rel="noopener">Book</a>' in html


def test_placeholder_link_must_be_a_web_address():
    text, placeholders = fill_placeholders(
        "[Call]({{ clinic.name }})", {"clinic": {"name": "javascript:alert(1)"}}, "x.md"
    )
    assert "href" not in markdown_to_html(text, placeholders=placeholders)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ok\n{{ clinic.fax }}", "line 12: unknown placeholder {{ clinic.fax }}; use one of"),
        ("{{ clinic.__class__ }}", "line 11: unknown placeholder {{ clinic.__class__ }}"),
        ("{{ ''.__class__ }}", "line 11: placeholders must be plain names"),
        ("{{ clinic.phone | upper }}", "line 11: placeholders must be plain names"),
        ("{% for x in clinic %}{% endfor %}", "line 11: only {{ placeholders }} are allowed"),
        ("\n\n{{ clinic.phone", "line 13: broken placeholder"),
        (
            "{{ clinic.booking_url }}",
            "line 11: {{ clinic.booking_url }} is used but clinic.yaml "
            "has no 'booking_url'; add it there",
        ),
    ],
)
def test_bad_placeholders_name_file_and_line(text, problem):
    values = {"clinic": {"phone": "1", "booking_url": None}}
    with pytest.raises(ContentError) as caught:
        fill_placeholders(text, values, "about.md", first_line=11)
    assert caught.value.message.startswith(f"about.md: {problem}")


def test_every_documented_placeholder_is_a_clinic_field():
    clinic = load_clinic()
    for dotted in PLACEHOLDERS:
        group, field = dotted.split(".")
        assert group == "clinic" and hasattr(clinic, field)


def test_script_and_handlers_never_reach_the_html():
    html = markdown_to_html(
        'Hi <script>alert(1)</script><img src="x.png" onerror="alert(2)">'
        '<iframe src="https://evil.example"></iframe><a href="javascript:alert(3)">x</a>'
        '<p style="color:red" onclick="y">z</p><a rel="attachment" href="secret.pdf">f</a>'
    )
    for forbidden in (
        "<script",
        "alert",
        "onerror",
        "<iframe",
        "javascript:",
        "style=",
        "onclick",
        "attachment",
        "secret.pdf",
    ):
        assert forbidden not in html


@pytest.mark.parametrize(
    "source",
    [
        "http://127.0.0.1/x.png",
        "https://example.com/x.png",
        "file:///etc/passwd",
        "/etc/passwd",
        "//evil.example/x.png",
        "C:/x.png",
        "&#x66;ile:///etc/passwd",
    ],
)
def test_foreign_images_are_an_error_not_silently_dropped(source):
    with pytest.raises(UnsafeImageError, match="is not allowed: put the picture in the clinic kit"):
        markdown_to_html(f'<img src="{source}" alt="x">')


def test_relative_images_point_into_the_blocks_folder(tmp_path):
    html = markdown_to_html("![Diagram](diagram.png)", image_folder=tmp_path)
    assert f'src="{tmp_path.as_uri()}/diagram.png"' in html


def test_admonitions_become_callouts_and_tables_work():
    html = markdown_to_html(
        '!!! tip "Good to know"\n    Drink water.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'
    )
    assert '<div class="admonition tip">' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_script_in_a_kit_block_never_reaches_the_leaflet(clinic_kit):
    kit = clinic_kit(
        {
            "content/microneedling/about.md": block_file(
                "Hello <script>document.write('x')</script> <b onmouseover=alert(1)>there</b>"
            )
        },
        base="demo",
    )
    html = assemble_html(["microneedling"], load_clinic(kit)).html
    assert "Hello" in html and "<script" not in html and "onmouseover" not in html


def test_block_names_cannot_be_paths(clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "content/microneedling/treatment.yaml": (
                "title: M\nsummary: S\nblocks: [about, ../../../secret, about]\n"
            )
        }
    )
    with pytest.raises(ContentError) as caught:
        ContentLibrary(kit).treatment("microneedling")
    assert caught.value.message == (
        "kit/content/microneedling/treatment.yaml: blocks: '../../../secret' is not a block name "
        "(lowercase letters, digits and hyphens, like 'aftercare')"
    )


def test_symlinked_block_outside_the_kit_is_refused(clinic_kit, tmp_path, in_tmp):
    secret = tmp_path / "secret.md"
    secret.write_text(block_file("SECRET"))
    kit = clinic_kit()
    (kit / "content" / "microneedling").mkdir(parents=True)
    (kit / "content" / "microneedling" / "about.md").symlink_to(secret)
    library = ContentLibrary(kit)
    with pytest.raises(ContentError, match=r"about\.md: leads outside the clinic kit .*; copy the"):
        library.block(library.treatment("microneedling"), "about")


@pytest.mark.parametrize("body", ["", "   \n\n", "<!-- to do -->\n"])
def test_empty_block_is_refused(clinic_kit, in_tmp, body):
    kit = clinic_kit({"content/microneedling/about.md": block_file(body)})
    library = ContentLibrary(kit)
    with pytest.raises(ContentError, match=r"about\.md: the block has no text after its front"):
        library.block(library.treatment("microneedling"), "about")


@pytest.mark.parametrize(
    ("dates", "problem"),
    [
        (
            "reviewed: 0\nreview_due: 2027-01-01",
            "reviewed: '0' is not a date; write it as YYYY-MM-DD",
        ),
        ("reviewed: 2027-01-01\nreview_due: 2026-01-01", "review_due must be later than reviewed"),
    ],
)
def test_review_dates_must_be_real_and_in_order(clinic_kit, in_tmp, dates, problem):
    kit = clinic_kit(
        {
            "content/microneedling/about.md": (
                f"---\ntitle: A\nversion: '1'\n{dates}\n"
                "sources: [{title: T, publisher: P}]\n---\nText\n"
            )
        }
    )
    library = ContentLibrary(kit)
    with pytest.raises(ContentError) as caught:
        library.block(library.treatment("microneedling"), "about")
    assert caught.value.message == f"kit/content/microneedling/about.md: {problem}"


@pytest.mark.parametrize(
    "markup", ['<image src="http://127.0.0.1:9/x.png">', "<img>", '<img src="">']
)
def test_image_tricks_are_errors(markup):
    with pytest.raises(UnsafeImageError):
        markdown_to_html(markup)


def test_headings_in_a_block_sit_below_its_title():
    html = markdown_to_html("# One\n\n## Two\n\n##### Five\n\n`code`")
    assert html == "<h3>One</h3>\n<h3>Two</h3>\n<h4>Five</h4>\n<p><code>code</code></p>"


@pytest.mark.parametrize(
    ("sources", "printed"),
    [
        ("sources: [Our clinic protocol]", ["Our clinic protocol"]),
        ("sources: Our clinic protocol", ["Our clinic protocol"]),
        (
            "sources:\n  - Our clinic protocol\n  - title: Chemical peels\n    publisher: BAD",
            ["Our clinic protocol", "Chemical peels, BAD"],
        ),
    ],
)
def test_sources_may_be_plain_text(clinic_kit, sources, printed):
    block = block_file("Text.").replace(
        "sources:\n  - title: Test source\n    publisher: Test publisher", sources
    )
    kit = clinic_kit({"content/microneedling/about.md": block})
    library = ContentLibrary(kit)
    found = library.block(library.treatment("microneedling"), "about").meta.sources
    assert [str(source) for source in found] == printed
    assert (found[0].title, found[0].publisher) == ("Our clinic protocol", None)


@pytest.mark.parametrize(
    ("sources", "problem"),
    [
        ("sources: []", "sources: is empty"),
        ("sources:", "sources: is empty"),
        ("sources: ['']", "sources.0.title: is empty"),
        ("sources: [{title: T}]", "sources.0.publisher: is required"),
    ],
)
def test_sources_must_say_something(clinic_kit, in_tmp, sources, problem):
    block = block_file("Text.").replace(
        "sources:\n  - title: Test source\n    publisher: Test publisher", sources
    )
    kit = clinic_kit({"content/microneedling/about.md": block})
    library = ContentLibrary(kit)
    with pytest.raises(ContentError) as caught:
        library.block(library.treatment("microneedling"), "about")
    assert caught.value.message == f"kit/content/microneedling/about.md: {problem}"


def test_builtin_blocks_name_title_and_publisher_of_every_source():
    library = ContentLibrary()
    for slug in library.slugs():
        for block in library.blocks(library.treatment(slug)):
            assert all(source.publisher for source in block.meta.sources), block.key


def test_minimum_age_is_the_kits_setting_and_18_by_default(clinic_kit):
    assert placeholder_values(load_clinic(clinic_kit()))["clinic"]["minimum_age"] == "18"
    kit = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nminimum_age: 21\n"}, name="k21")
    text, placeholders = fill_placeholders(
        "Aged {{ clinic.minimum_age }} or over.", placeholder_values(load_clinic(kit)), "x.md"
    )
    assert markdown_to_html(text, placeholders=placeholders) == "<p>Aged 21 or over.</p>"
    bad = clinic_kit({"clinic.yaml": "name: A\nphone: '1'\nminimum_age: 12\n"}, name="k12")
    with pytest.raises(ConfigError) as caught:
        load_clinic(bad)
    assert "minimum_age" in caught.value.message


def test_more_information_is_one_or_two_sourced_pages(clinic_kit):
    page = "{title: Microneedling, publisher: DermNet, url: 'https://dermnetnz.org/x'}"
    kit = clinic_kit(
        {
            "content/microneedling/treatment.yaml": "title: M\nsummary: S\nblocks: [about]\n"
            f"more_information: [{page}]\n"
        }
    )
    treatment = ContentLibrary(kit).treatment("microneedling")
    assert [str(page.url) for page in treatment.meta.more_information] == [
        "https://dermnetnz.org/x"
    ]
    (kit / "content/microneedling/treatment.yaml").write_text(
        f"title: M\nsummary: S\nblocks: [about]\nmore_information: [{page}, {page}, {page}]\n"
    )
    with pytest.raises(ContentError) as caught:
        ContentLibrary(kit).treatment("microneedling")
    assert "more_information" in caught.value.message
