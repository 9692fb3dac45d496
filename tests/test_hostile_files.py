"""Odd files where handouts writes or reads: links, pipes, devices, sockets, deep nesting, UTF-16.

Every one is a real thing on disk; each must give one line naming the file and what to do,
and never replace anything that is not a regular file.
"""

from __future__ import annotations

import os
import re
import socket
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import block_file

from handouts import atomic
from handouts.atomic import NotARegularFile, save_file, write_atomically
from handouts.batch import run_batch
from handouts.build import assemble_html
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.errors import HandoutsError
from handouts.kit_files import KitFileError, read_kit_text
from handouts.paths import DEMO_CLINIC_DIR, builtin_dir

# -- output paths: only a regular file (or nothing) is replaced ---------------------------------


def _symlink_to_file(path: Path) -> str:
    (path.parent / "real.pdf").write_bytes(b"the real file")
    path.symlink_to("real.pdf")
    return "a symbolic link"


def _dangling_symlink(path: Path) -> str:
    path.symlink_to(path.parent / "nowhere.pdf")
    return "a symbolic link"


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "a named pipe (FIFO)"


def _socket(path: Path) -> str:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return "a socket"


def _folder(path: Path) -> str:
    path.mkdir()
    (path / "inside.txt").write_text("kept")
    return "a folder"


def _device(path: Path) -> str:
    """A character device like /dev/null (made here, so the real one is never at risk)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    return "a device"


NOT_REGULAR = [_symlink_to_file, _dangling_symlink, _fifo, _socket, _folder, _device]


def _state(path: Path) -> tuple:
    """What is at ``path`` (without following it) and, for a link, where it points."""
    info = os.lstat(path)
    target = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
    return stat.S_IFMT(info.st_mode), info.st_ino, target


@pytest.mark.parametrize("make", NOT_REGULAR, ids=lambda make: make.__name__.strip("_"))
def test_only_a_regular_file_is_ever_replaced(make, tmp_path, in_tmp):
    target = in_tmp / "leaflet.pdf"
    kind = make(target)
    before = _state(target)
    with pytest.raises(NotARegularFile) as refused:
        save_file(target, b"%PDF-new")
    assert refused.value.message == (
        f"leaflet.pdf: is {kind}, not a regular file; handouts replaces only regular "
        "files, so remove it or choose another file name"
    )
    assert _state(target) == before
    if kind == "a symbolic link" and (in_tmp / "real.pdf").exists():
        assert (in_tmp / "real.pdf").read_bytes() == b"the real file"
    assert not [path for path in in_tmp.iterdir() if path.name.endswith(".tmp")]


def test_a_regular_file_is_replaced_whole_and_readable(tmp_path):
    target = tmp_path / "leaflet.pdf"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomically(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [path.name for path in tmp_path.iterdir()] == ["leaflet.pdf"]


def test_temporary_file_is_new_and_never_made_through_a_link(tmp_path, monkeypatch):
    """A link planted where the temporary file would go is not followed: a new name is used."""
    names = iter(["planted", "fresh"])
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda _: next(names))
    victim = tmp_path / "victim.txt"
    (tmp_path / ".leaflet.pdf.planted.tmp").symlink_to(victim)
    write_atomically(tmp_path / "leaflet.pdf", b"%PDF-new")
    assert not victim.exists()
    assert (tmp_path / "leaflet.pdf").read_bytes() == b"%PDF-new"
    assert (tmp_path / ".leaflet.pdf.planted.tmp").is_symlink()
    assert not (tmp_path / ".leaflet.pdf.fresh.tmp").exists()


def test_build_onto_a_symlink_is_one_line_and_leaves_it(in_tmp):
    (in_tmp / "real.html").write_text("mine")
    (in_tmp / "leaflet.html").symlink_to("real.html")
    result = CliRunner().invoke(cli, ["build", "microneedling", "--html", "-o", "leaflet.html"])
    assert result.exit_code == 1
    assert "Wrote" not in result.output
    assert result.stderr == (
        "Error: leaflet.html: is a symbolic link, not a regular file; handouts replaces only "
        "regular files, so remove it or choose another file name\n"
    )
    assert (in_tmp / "leaflet.html").is_symlink()
    assert (in_tmp / "real.html").read_text() == "mine"


def test_build_onto_a_fifo_does_not_block_or_replace_it(in_tmp):
    os.mkfifo(in_tmp / "pipe.pdf")
    result = CliRunner().invoke(cli, ["build", "microneedling", "--html", "-o", "pipe.pdf"])
    assert result.exit_code == 1
    assert "pipe.pdf: is a named pipe (FIFO), not a regular file" in result.stderr
    assert stat.S_ISFIFO(os.lstat(in_tmp / "pipe.pdf").st_mode)


def test_batch_reports_a_row_whose_file_is_a_fifo_and_makes_the_others(tmp_path):
    csv_file = tmp_path / "a.csv"
    csv_file.write_text(
        "patient_name,email,treatment,date,time,practitioner,language\n"
        "Ann Lee,,microneedling,2026-12-03,10:30,,\n"
        "Bo Chan,,microneedling,2026-12-03,11:00,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "2026-12-03_Ann-Lee_microneedling.pdf")
    report = run_batch(csv_file, output_dir=out, jobs=1)
    assert [path.name for path in report.made] == ["2026-12-03_Bo-Chan_microneedling.pdf"]
    [problem] = report.problems
    assert problem.row == 2
    assert "2026-12-03_Ann-Lee_microneedling.pdf: is a named pipe (FIFO)" in problem.reason
    assert stat.S_ISFIFO(os.lstat(out / "2026-12-03_Ann-Lee_microneedling.pdf").st_mode)


def test_an_unwritable_folder_is_still_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(HandoutsError, match=r"cannot write the file \("):
        save_file(tmp_path / "file" / "leaflet.pdf", b"%PDF")


# -- kit text files: UTF-8 only, with or without a byte order mark ------------------------------

TEXT_FILES = {
    "clinic.yaml": None,
    "content/microneedling/treatment.yaml": None,
    "content/microneedling/about.md": None,
    "templates/labels/en.yaml": "call_us_title: Ring us\n",
    "templates/leaflet.html": '{% extends "builtin/leaflet.html" %}\n',
}


def _kit_text(relative: str) -> str:
    """The UTF-8 text a demo kit holds at ``relative`` (or a small valid one)."""
    if TEXT_FILES[relative] is not None:
        return TEXT_FILES[relative]
    if relative == "clinic.yaml":
        return (DEMO_CLINIC_DIR / "clinic.yaml").read_text(encoding="utf-8")
    if relative.endswith("about.md"):
        return block_file("Ça va: words in UTF-8, «quoted».")
    return (builtin_dir("content") / "microneedling" / "treatment.yaml").read_text("utf-8")


def _make_leaflet_html(kit: Path) -> str:
    return assemble_html(["microneedling"], load_clinic(kit)).html


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
@pytest.mark.parametrize("relative", list(TEXT_FILES))
def test_a_kit_file_in_utf16_is_one_line_naming_it(relative, encoding, clinic_kit, in_tmp):
    kit = clinic_kit({relative: _kit_text(relative).encode(encoding)}, base="demo")
    with pytest.raises(HandoutsError) as refused:
        _make_leaflet_html(kit)
    assert refused.value.message == (
        f"kit/{relative}: not UTF-8 text (it looks like UTF-16 or a binary file); save it as UTF-8"
    )


@pytest.mark.parametrize("relative", list(TEXT_FILES))
def test_a_kit_file_in_latin1_is_one_line_naming_it(relative, clinic_kit, in_tmp):
    text = _kit_text(relative).replace("\n", "\n# Café\n", 1)
    if relative.endswith(".html"):
        text = "{# Café #}" + text
    if relative.endswith(".md"):
        text = text.replace("words", "café words")
    kit = clinic_kit({relative: text.encode("latin-1", "replace")}, base="demo")
    with pytest.raises(HandoutsError) as refused:
        _make_leaflet_html(kit)
    assert refused.value.message == f"kit/{relative}: not UTF-8 text; save it as UTF-8"


@pytest.mark.parametrize("relative", list(TEXT_FILES))
def test_a_kit_file_with_a_utf8_byte_order_mark_is_read(relative, clinic_kit, in_tmp):
    kit = clinic_kit({relative: "\ufeff".encode() + _kit_text(relative).encode()}, base="demo")
    html = _make_leaflet_html(kit)
    assert "\ufeff" not in html
    if relative.endswith(".md"):
        assert "Ça va: words in UTF-8, «quoted»." in html
    if relative.endswith("en.yaml"):
        assert "Ring us" in html


def test_a_named_pipe_where_a_kit_file_should_be_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "about.md")
    with pytest.raises(KitFileError, match=r"about\.md: not a regular file; put a text file there"):
        read_kit_text(tmp_path / "about.md")


# -- nesting: one line naming the file, before anything recursive reads it ----------------------

MARKDOWN_TOO_DEEP = (
    "nested too deeply (lists or quotes inside each other more than 20 levels); simplify it"
)
DEEP_BLOCKS = {
    "quotes": ("Intro.\n\n" + ">" * 3000 + " deep\n", 12, MARKDOWN_TOO_DEEP),
    "spaced quotes": ("> " * 21 + "deep\n", 10, MARKDOWN_TOO_DEEP),
    "indented lists": ("".join("    " * level + "- item\n" for level in range(400)), 30, None),
    "marker chain": ("- " * 3000 + "x\n", 10, MARKDOWN_TOO_DEEP),
    "html": (
        "Intro.\n\n" + "<div>\n" * 3000 + "x" + "</div>" * 3000 + "\n",
        62,
        "nested too deeply (HTML elements inside each other more than 50 levels); simplify it",
    ),
}


@pytest.mark.parametrize("kind", list(DEEP_BLOCKS))
def test_deeply_nested_markdown_or_html_is_one_line_naming_file_and_line(kind, clinic_kit, in_tmp):
    body, line, problem = DEEP_BLOCKS[kind]
    kit = clinic_kit({"content/microneedling/aftercare.md": block_file(body)}, base="demo")
    with pytest.raises(HandoutsError) as refused:
        _make_leaflet_html(kit)
    assert refused.value.message == (
        f"kit/content/microneedling/aftercare.md: line {line}: {problem or MARKDOWN_TOO_DEEP}"
    )


def test_build_of_a_deep_block_prints_one_line(clinic_kit, in_tmp):
    kit = clinic_kit({"content/microneedling/about.md": block_file("> " * 500 + "x")}, base="demo")
    result = CliRunner().invoke(cli, ["build", "microneedling", "--clinic", str(kit)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: kit/content/microneedling/about.md: line 10: {MARKDOWN_TOO_DEEP}\n"
    )


def test_nesting_up_to_the_limits_renders(clinic_kit, tmp_path, weasyprint_log):
    lists = "".join("    " * level + f"- level {level + 1}\n" for level in range(20))
    quotes = "> " * 20 + "twenty quotes deep\n"
    html = "<div>" * 50 + "fifty elements deep" + "</div>" * 50
    kit = clinic_kit(
        {"content/microneedling/about.md": block_file(f"{lists}\n{quotes}\n{html}\n")},
        base="demo",
    )
    from handouts.build import render_handout

    clinic = load_clinic(kit)
    for large_print in (False, True):
        handout = assemble_html(["microneedling"], clinic, large_print=large_print)
        assert "level 20" in handout.html and "fifty elements deep" in handout.html
        assert render_handout(handout, clinic).pages >= 1
    assert weasyprint_log == []


YAML_TOO_DEEP = (
    "nested too deeply (lists or mappings inside each other more than 20 levels); simplify it"
)


@pytest.mark.parametrize(
    ("relative", "text", "line"),
    [
        ("clinic.yaml", "name: A\nphone: '1'\napproved: " + "[" * 3000 + "\n", 3),
        ("content/microneedling/treatment.yaml", "title: " + "{a: " * 3000 + "\n", 1),
        (
            "templates/labels/en.yaml",
            "page_of:\n" + "".join(" " * n + "-\n" for n in range(30)),
            21,
        ),
        ("content/microneedling/about.md", "---\ntitle: " + "[" * 3000 + "\n---\nText\n", 2),
    ],
    ids=["clinic.yaml", "treatment.yaml", "labels", "front matter"],
)
def test_deeply_nested_yaml_is_one_line_naming_file_and_line(
    relative, text, line, clinic_kit, in_tmp
):
    kit = clinic_kit({relative: text}, base="demo")
    with pytest.raises(HandoutsError) as refused:
        _make_leaflet_html(kit)
    assert refused.value.message == f"kit/{relative}: line {line}: {YAML_TOO_DEEP}"


@pytest.mark.parametrize(
    "placeholder",
    ["{{ " + "(" * 3000 + "clinic.phone" + ")" * 3000 + " }}", "{{ " + "[" * 3000, "{{ -" * 3000],
)
def test_a_deeply_nested_placeholder_is_one_line(placeholder, clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "content/microneedling/about.md": block_file(
                f"Call {{{{ clinic.phone }}}}.\n\n{placeholder}"
            )
        },
        base="demo",
    )
    with pytest.raises(HandoutsError) as refused:
        _make_leaflet_html(kit)
    assert refused.value.message == (
        "kit/content/microneedling/about.md: line 12: a placeholder nested too deeply; "
        "write it like {{ clinic.phone }}"
    )


@pytest.mark.parametrize(
    ("footer", "problem"),
    [
        (
            "<div>" * 150 + "x" + "</div>" * 150,
            r"line \d+ of the page it makes is nested too deeply \(HTML elements inside each "
            r"other more than 100 levels\); simplify the kit's templates",
        ),
        (
            '{% include "partials/footer.html" %}',
            r"nested too deeply \(blocks inside each other, or a template including itself\); "
            "simplify the kit's templates",
        ),
    ],
    ids=["deep page", "including itself"],
)
def test_a_kit_template_nested_too_deeply_is_one_line(footer, problem, clinic_kit):
    kit = clinic_kit({"templates/partials/footer.html": footer}, base="demo")
    with pytest.raises(HandoutsError) as refused:
        _make_leaflet_html(kit)
    assert re.fullmatch(f"template 'leaflet.html': {problem}", refused.value.message)


def test_markdown_to_html_refuses_deep_text_itself():
    from handouts.markup import NestedTooDeeply, UnsafeMarkup, markdown_to_html

    with pytest.raises(NestedTooDeeply, match=r"^line 1: nested too deeply") as refused:
        markdown_to_html(">" * 3000 + " x")
    assert isinstance(refused.value, UnsafeMarkup)
    assert markdown_to_html(">" * 20 + " x").count("<blockquote>") == 20


def test_email_outbox_never_replaces_a_fifo_where_a_letter_goes(tmp_path, in_tmp):
    csv_file = tmp_path / "a.csv"
    csv_file.write_text(
        "patient_name,email,treatment,date,time,practitioner,language\n"
        "Amira Haddad,amira@example.com,microneedling,2026-12-03,10:30,,\n"
        "Bo Chen,bo@example.com,microneedling,2026-12-03,11:30,,\n",
        encoding="utf-8",
    )
    (in_tmp / "out").mkdir()
    letter = in_tmp / "out" / "2026-12-03_Amira-Haddad_microneedling.leaflet.eml"
    os.mkfifo(letter)
    result = CliRunner().invoke(
        cli, ["email", str(csv_file), "--outbox", "out", "--today", "2026-12-01"]
    )
    assert result.exit_code == 1
    assert (
        "out/2026-12-03_Amira-Haddad_microneedling.leaflet.eml: is a named pipe (FIFO), "
        "not a regular file" in result.output
    )
    assert stat.S_ISFIFO(os.lstat(letter).st_mode)
    # That row is reported; the other letter is still written.
    assert "Wrote 1 email to out." in result.output
    assert "line 2: out/2026-12-03_Amira-Haddad_microneedling.leaflet.eml: " in result.output
    assert (in_tmp / "out" / "2026-12-03_Bo-Chen_microneedling.leaflet.eml").is_file()


def test_build_onto_a_folder_is_the_same_one_line(in_tmp):
    (in_tmp / "folder").mkdir()
    result = CliRunner().invoke(cli, ["build", "microneedling", "-o", "folder"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: folder: is a folder, not a regular file; handouts replaces only regular "
        "files, so remove it or choose another file name\n"
    )
    assert list((in_tmp / "folder").iterdir()) == []
