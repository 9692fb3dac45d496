"""Change a section's words from the manager workspace, or go back to the built-in text.

A save is checked as a leaflet would read it (``content.parse_block``, then
``context.render_block`` for the full text and the short version), so text that would not
load or print is refused with the same message and nothing is written. It is written as the
kit's own file, ``content/<treatment>/<section>[.<lang>].md``, its front matter kept and its
version raised, atomically and under the kit's lock; the audit log records it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from .approvals import text_digest
from .approve import DEMO_NOT_CHANGED
from .atomic import save_file
from .audit import AuditEntry, record_audit
from .clock import now_iso
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
from .errors import ContentError, HandoutsError, InputError
from .history_file import HistoryError, check_history
from .kit_files import KitFileError, outside_problem, read_kit_text
from .kit_lock import kit_lock
from .markup import image_sources
from .paths import DEMO_CLINIC_DIR, builtin_dir, display_path, file_url_path, inside
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


@dataclass(frozen=True)
class Change:
    """What a save or a revert did, as the audit log has it."""

    entry: AuditEntry
    path: Path
    version: str
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
    return "\n".join(line.rstrip() for line in lines) + "\n" if lines else ""


def is_demo(clinic: Clinic) -> bool:
    return clinic.kit_dir is None or clinic.kit_dir.resolve() == DEMO_CLINIC_DIR.resolve()


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
    current = english if language == "en" else _translation(library, treatment, file_name)
    if current is None:  # a new translation starts from the English text
        current = replace(english, language=language)
    builtin = builtin_dir("content") / slug / file_name
    return Section(
        treatment, name, language, current, _front_matter(current.path),
        clinic.kit_dir / "content" / slug / file_name,
        builtin if builtin.is_file() else None, english.meta.version,
    )  # fmt: skip


def _translation(library: ContentLibrary, treatment: Treatment, file_name: str) -> Block | None:
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


def writable_kit(clinic: Clinic) -> None:
    """Refuse the demo clinic, and a history file the audit log cannot write to."""
    if is_demo(clinic):
        raise InputError(DEMO_NOT_CHANGED)
    check_history(clinic)


def save_section(
    clinic: Clinic, section: Section, title: str, markdown: str, by: str, base: str
) -> Change:
    """Save the draft as the kit's own file, version raised; InputError when it would not load."""
    writable_kit(clinic)
    title = " ".join(title.split())
    with kit_lock(clinic.kit_dir):
        fresh = open_section(clinic, section.treatment.slug, section.name, section.language)
        if fresh.base != base:
            raise InputError(
                "someone changed this section since you opened it; nothing was saved. Copy "
                "your text, reload the page and make your change again"
            )
        if normal_text(markdown) == fresh.markdown and title == fresh.current.meta.title:
            raise InputError("nothing changed, so nothing was saved")
        checked = check_draft(clinic, fresh, title, markdown)
        if checked.block is None:
            raise InputError(checked.problem)
        version = fresh.next_version()
        if problem := outside_problem(fresh.target.parent, [clinic.kit_dir]):
            raise ContentError(f"{display_path(fresh.target.parent)}: {problem}")
        save_file(fresh.target, compose(fresh, title, markdown, version).encode("utf-8"))
    old = _said(fresh.current) + ("" if fresh.in_kit else " (built-in)")
    entry = AuditEntry(now_iso(), by, "edit", fresh.subject, old, _said(checked.block))
    audit_change(clinic, entry, "saved")
    return Change(entry, fresh.target, version, checked.warnings)


def revert_section(clinic: Clinic, section: Section, by: str) -> Change:
    """Remove the kit's own file of ``section``, so the built-in text is printed again."""
    writable_kit(clinic)
    if section.builtin is None or not section.target.is_file():
        raise InputError(f"{section.key}: your kit has no own text here to remove")
    with kit_lock(clinic.kit_dir):
        own = read_block(section.target, section.treatment.slug, section.name, section.language)
        try:
            section.target.unlink()
        except OSError as error:
            raise HandoutsError(
                f"{display_path(section.target)}: cannot remove it ({error.strerror})"
            ) from None
        with contextlib.suppress(OSError):  # only when nothing else is left in it
            section.target.parent.rmdir()
    builtin = read_block(section.builtin, section.treatment.slug, section.name, section.language)
    entry = AuditEntry(
        now_iso(), by, "revert", section.subject, _said(own), _said(builtin) + " (built-in)"
    )
    audit_change(clinic, entry, "removed")
    return Change(entry, section.builtin, builtin.meta.version)


def _said(block: Block) -> str:
    return f"{block.meta.version} sha256:{text_digest(block.markdown)[:12]}"


def audit_change(clinic: Clinic, entry: AuditEntry, done: str) -> None:
    try:
        record_audit(clinic, [entry])
    except HistoryError as error:
        raise HistoryError(
            f"the text was {done}, but the audit log could not record it: {error.message}"
        ) from None


def translation_notes(clinic: Clinic, section: Section) -> list[tuple[str, str]]:
    """For an English section, each translation that no longer matches it, and how.

    ``(language, "behind")``: the kit's translation carries an older English version.
    ``(language, "hidden")``: the kit's own English is printed instead of the built-in
    translation (a kit's file always wins), until the kit has its own translation.
    """
    if section.language != "en":
        return []
    library = ContentLibrary(clinic.kit_dir)
    english = library.block(section.treatment, section.name)
    notes = []
    for language in library.languages(section.treatment)[1:]:
        block = library.block(section.treatment, section.name, language)
        if block.language == language and block.meta.version != english.meta.version:
            notes.append((language, "behind"))
        elif block.language == "en" and _translation(
            library, section.treatment, f"{section.name}.{language}.md"
        ):
            notes.append((language, "hidden"))
    return notes
