"""A section opened for editing, and a draft of it checked as a leaflet would read it.

A draft is read by the same parser as a block file (``content.parse_block``), then printed
with ``context.render_block`` (full text and short version), so a text that would not load
or print gets the loader's own message. Nothing here writes; ``section_edit`` saves.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from .config import Clinic
from .content import (
    FRONT_MATTER,
    SHORT_MARK,
    Block,
    ContentLibrary,
    Treatment,
    parse_block,
    read_block,
)
from .context import render_block
from .errors import ContentError, HandoutsError
from .kit_files import KitFileError, outside_problem, read_kit_text
from .markup import image_sources
from .paths import builtin_dir, display_path, file_url_path, inside
from .readability import Readability, measure_versions
from .yaml_edit import dump_text

MAX_MARKDOWN_CHARS = 20_000
"""Longest text a section may have: about four times the longest built-in one."""
MAX_TITLE_CHARS = 200
RISKY_HTML = re.compile(r"<\s*/?\s*(script|style|iframe|object|embed|form)\b|\son\w+\s*=", re.I)
"""HTML the leaflet leaves out (``markup.sanitise_html``); said as a warning, not hidden."""


@dataclass(frozen=True)
class Section:
    """One section in one language, opened for editing."""

    treatment: Treatment
    name: str
    language: str
    current: Block
    """The text as it stands: the kit's, the built-in one, or (a new translation) English."""
    front_matter: str
    """The current file's front matter, kept on saving (comments and order too)."""
    target: Path
    """The kit's own file the text is saved to."""
    builtin: Path | None
    """The built-in file of the same name, if the library has one."""
    english_version: str

    @property
    def key(self) -> str:
        return f"{self.treatment.slug}/{self.name}"

    @property
    def subject(self) -> str:
        """How the audit log names it: ``microneedling/aftercare (en)``."""
        return f"{self.key} ({self.language})"

    @property
    def in_kit(self) -> bool:
        return self.current.path.resolve() == self.target.resolve()

    @property
    def base(self) -> str:
        """Fingerprint of the text opened: a save refuses when someone changed it since."""
        words = f"{self.current.meta.version}\0{self.current.meta.title}\0{self.markdown}"
        return hashlib.sha256(words.encode("utf-8")).hexdigest()[:16]

    @property
    def markdown(self) -> str:
        """The text for the editor: the Markdown after the front matter, blank edges off."""
        return normal_text(self.current.markdown)

    def next_version(self) -> str:
        """English: one step up. A translation: the English version it now translates."""
        if self.language != "en":
            return self.english_version
        return raise_version(self.current.meta.version)


@dataclass(frozen=True)
class Checked:
    """A draft as a leaflet would read it, or why it would not load or print."""

    block: Block | None
    html: str | None = None
    short_html: str | None = None
    problem: str | None = None
    scores: list[tuple[str, Readability]] | None = None
    """English only: the grade formulas are made for English."""
    warnings: tuple[str, ...] = ()


def raise_version(version: str) -> str:
    """``1.2`` -> ``1.3``, ``1.9`` -> ``1.10``, ``2`` -> ``3``; otherwise ``.1`` added."""
    head, dot, last = version.rpartition(".")
    if last.isdigit():
        return f"{head}{dot}{int(last) + 1}"
    return f"{version}.1"


def normal_text(text: str) -> str:
    """Line endings made ``\\n``, blank lines at the start and end dropped, one final ``\\n``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""  # trailing spaces kept: a line break


def open_section(clinic: Clinic, slug: str, name: str, language: str = "en") -> Section:
    """The section to edit; ContentError for a treatment, section or language it lacks."""
    library = ContentLibrary(clinic.kit_dir)
    treatment = library.treatment(slug)
    if name not in treatment.meta.blocks:
        raise ContentError(f"{slug} has no section {name!r}")
    if language not in library.languages(treatment):
        known = ", ".join(library.languages(treatment))
        raise ContentError(f"{slug} has no {language!r} text; its languages: {known}")
    english = library.block(treatment, name)
    file_name = f"{name}.md" if language == "en" else f"{name}.{language}.md"
    current = english if language == "en" else own_translation(library, treatment, file_name)
    if current is None:  # a new translation starts from the English text
        current = replace(english, language=language)
    builtin = builtin_dir("content") / slug / file_name
    return Section(
        treatment, name, language, current, _front_matter(current.path),
        clinic.kit_dir / "content" / slug / file_name,
        builtin if builtin.is_file() else None, english.meta.version,
    )  # fmt: skip


def own_translation(library: ContentLibrary, treatment: Treatment, file_name: str) -> Block | None:
    """The translation's own file (kit first), even where a kit's English hides it."""
    name, language = file_name.split(".")[:2]
    for root in library.roots:
        path = root / treatment.slug / file_name
        if path.is_file():
            if problem := outside_problem(path, library.readable):
                raise ContentError(f"{display_path(path)}: {problem}")
            return read_block(path, treatment.slug, name, language)
    return None


def _front_matter(path: Path) -> str:
    try:
        text = read_kit_text(path)
    except KitFileError as error:
        raise ContentError(str(error)) from None
    return FRONT_MATTER.match(text).group(1)  # read_block found it already


def compose(section: Section, title: str, markdown: str, version: str) -> str:
    """The file's new text: its front matter with ``title`` and ``version``, then the words."""
    handler = YAML(typ="rt")
    handler.preserve_quotes = True
    try:
        meta = handler.load(section.front_matter)
    except YAMLError as error:  # read once already; only a file changed since gets here
        raise ContentError(f"{display_path(section.current.path)}: {error}") from None
    meta["title"] = DoubleQuotedScalarString(title)
    meta["version"] = DoubleQuotedScalarString(version)
    return f"---\n{dump_text(meta)}---\n\n{normal_text(markdown)}"


def check_draft(clinic: Clinic, section: Section, title: str, markdown: str) -> Checked:
    """How the leaflet would read ``title`` and ``markdown``: its HTML, scores and warnings."""
    title = " ".join(title.split())
    problem = _size_problem(title, markdown)
    if problem:
        return Checked(None, problem=problem)
    scores = None
    if section.language == "en":  # scored even when it would not print: it helps to see
        full, *short_text = SHORT_MARK.split(normal_text(markdown), maxsplit=1)
        scores = measure_versions(full, short_text[0] if short_text else None)
    text = compose(section, title, markdown, section.next_version())
    try:
        block = parse_block(
            text, section.target, section.treatment.slug, section.name, section.language
        )
        speaking = clinic.in_language(section.language)
        html = render_block(block, speaking).html
        short = render_block(block.shortened(), speaking).html if block.short_body else None
        _check_images(block, html + (short or ""), clinic)
    except HandoutsError as error:
        return Checked(None, problem=_in_the_box(error.message, text), scores=scores)
    warnings = [
        f"{label or 'The text'} reads above target: grade {score.grade}, SMOG {score.smog}; "
        "use shorter sentences and everyday words"
        for label, score in scores or []
        if score.above_target
    ]
    if RISKY_HTML.search(markdown):
        warnings.append(
            "The text has HTML the leaflet leaves out (scripts, styles, frames, forms, event "
            "handlers): it is not printed"
        )
    return Checked(block, str(html), short and str(short), None, scores, tuple(warnings))


def _in_the_box(message: str, text: str) -> str:
    """The loader's message, with the line in the editor beside the line in the file."""
    first = text.count("\n", 0, FRONT_MATTER.match(text).end()) + 2  # after the blank line

    def both(found: re.Match[str]) -> str:
        line = int(found.group(1))
        if line < first:
            return found[0]
        return f": line {line} (line {line - first + 1} of the text): "

    return re.sub(r": line (\d+): ", both, message, count=1)


def _size_problem(title: str, markdown: str) -> str | None:
    if not title:
        return "title: give the section a title"
    if len(title) > MAX_TITLE_CHARS or not title.isprintable():
        return f"title: one line of up to {MAX_TITLE_CHARS} characters"
    if len(markdown) > MAX_MARKDOWN_CHARS:
        return (
            f"the text is {len(markdown):,} characters long; a section may have up to "
            f"{MAX_MARKDOWN_CHARS:,}: split it or shorten it"
        )
    return None


def _check_images(block: Block, html: str, clinic: Clinic) -> None:
    """A picture the text names must be in the kit (else the leaflet could not be made)."""
    roots = [clinic.kit_dir, builtin_dir("content")]
    for source in image_sources(html):
        if source.startswith("file:"):
            path = file_url_path(source)
            if not path.is_file() or not inside(path, roots):
                written = os.path.relpath(path, block.path.parent.resolve())
                raise ContentError(
                    f"{display_path(block.path)}: image {written!r} not found in the kit; "
                    "add the picture or remove it"
                )
