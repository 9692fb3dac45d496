"""The treatment library: treatment.yaml plus one Markdown block per section.

Every lookup goes clinic kit first, then built-in, so a clinic can replace one
block or add a whole treatment without touching the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .content_schema import (
    SLUG,
    BlockMeta,
    TreatmentMeta,
    TreatmentTranslation,
    default_layouts,
)
from .errors import ContentError
from .kit_files import KitFileError, outside_problem, read_kit_text
from .nesting import TooDeep, check_block_nesting
from .paths import builtin_dir, display_path, resource_roots
from .yamlio import parse_yaml, schema_error_lines

STANDARD_BLOCKS = (
    "about",
    "what-to-expect",
    "benefits",
    "before",
    "aftercare",
    "risks",
    "alternatives",
)
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.DOTALL | re.MULTILINE)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
SHORT_MARK = re.compile(r"^<!--[ \t]*short[ \t]*-->[ \t]*\r?\n?", re.MULTILINE)
"""The line that starts a block's short version (``<!-- short -->``), after its full text."""
SMALL_LAYOUTS = ("trifold", "card")
"""Layouts that may print a block's short version when its full text does not fit."""


@dataclass(frozen=True)
class Block:
    """One section of a leaflet, as written in its Markdown file."""

    treatment: str
    name: str
    path: Path
    meta: BlockMeta
    body: str
    body_first_line: int
    """File line on which ``body`` starts, so errors can point at the right line."""
    language: str = "en"
    """Language the text is written in (English when a translation is missing)."""
    short_body: str | None = None
    """The block's short version (after ``<!-- short -->``), for the tri-fold and card when
    the full text does not fit; same front matter, version and review dates."""
    short_first_line: int = 0
    markdown: str = ""
    """Everything after the front matter (full text and short version), line endings
    made ``\\n``: the words an approval is bound to (``approvals.text_digest``)."""

    @property
    def key(self) -> str:
        """``"<treatment>/<block>"``, as used under ``approved:`` in clinic.yaml."""
        return f"{self.treatment}/{self.name}"

    @property
    def layouts(self) -> list[str]:
        """The layouts this block is printed in: its front matter's, or the default."""
        return self.meta.layouts or default_layouts(self.name)

    def shortened(self) -> Block:
        """This block with its short version as its text (itself when it has none)."""
        if self.short_body is None:
            return self
        return replace(
            self, body=self.short_body, body_first_line=self.short_first_line, short_body=None
        )


@dataclass(frozen=True)
class Treatment:
    """A treatment and where its files were found."""

    slug: str
    path: Path
    meta: TreatmentMeta
    language: str = "en"
    """Language of title and summary (English when a translation is missing)."""


def _read_model(path: Path, model: type[BaseModel]) -> BaseModel:
    source = display_path(path)
    try:  # KitFileError (not UTF-8) and YAML problems are ValueErrors naming the file
        raw = parse_yaml(read_kit_text(path), source)
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as error:
        raise ContentError(schema_error_lines(error, source)) from None
    except ValueError as error:
        raise ContentError(str(error)) from None


def read_block(path: Path, treatment: str, name: str, language: str = "en") -> Block:
    """Read one Markdown block with its YAML front matter."""
    try:
        text = read_kit_text(path)
    except KitFileError as error:
        raise ContentError(str(error)) from None
    return parse_block(text, path, treatment, name, language)


def parse_block(text: str, path: Path, treatment: str, name: str, language: str = "en") -> Block:
    """A block from the text of its file (``path`` names it in messages); as ``read_block``."""
    source = display_path(path)
    match = FRONT_MATTER.match(text)
    if not match:
        raise ContentError(
            f"{source}: line 1: missing front matter (start the file with '---', "
            "then title, version, reviewed, review_due, sources, then '---')"
        )
    try:
        raw = parse_yaml(match.group(1), source, first_line=2)
    except ValueError as error:
        raise ContentError(str(error)) from None
    try:
        meta = BlockMeta.model_validate(raw if raw is not None else {})
    except ValidationError as error:
        raise ContentError(schema_error_lines(error, source)) from None
    body = text[match.end() :]
    body_first_line = text.count("\n", 0, match.end()) + 1
    short_body, short_first_line = None, 0
    if mark := SHORT_MARK.search(text, match.end()):
        body = text[match.end() : mark.start()]
        short_body = text[mark.end() :]
        short_first_line = text.count("\n", 0, mark.end()) + 1
        if not HTML_COMMENT.sub("", short_body).strip():
            raise ContentError(
                f"{source}: line {short_first_line - 1}: '<!-- short -->' has no text after "
                "it; write the short version below it, or remove the line"
            )
        if SHORT_MARK.search(short_body):
            raise ContentError(f"{source}: '<!-- short -->' may appear only once")
    if not HTML_COMMENT.sub("", body).strip():
        raise ContentError(
            f"{source}: the block has no text after its front matter; write "
            "the text, or remove the block from treatment.yaml"
        )
    try:  # before Markdown and WeasyPrint, which recurse once per level
        check_block_nesting(body, body_first_line)
        if short_body is not None:
            check_block_nesting(short_body, short_first_line)
    except TooDeep as error:
        raise ContentError(f"{source}: {error}") from None
    markdown = text[match.end() :].replace("\r\n", "\n").replace("\r", "\n")
    return Block(
        treatment,
        name,
        path,
        meta,
        body,
        body_first_line,
        language,
        short_body,
        short_first_line,
        markdown,
    )


class ContentLibrary:
    """Treatments and blocks found in the clinic kit's ``content/`` and the built-in one."""

    def __init__(self, kit_dir: Path | None = None) -> None:
        kit_content = kit_dir / "content" if kit_dir is not None else None
        self.roots: list[Path] = [
            root
            for root in (kit_content, builtin_dir("content"))
            if root is not None and root.is_dir()
        ]
        self.readable = resource_roots(kit_dir)
        """Where every file read must really lie, whatever links sit on the way."""

    def slugs(self) -> list[str]:
        """Every treatment that has a ``treatment.yaml`` in some root, sorted."""
        found = {
            path.parent.name
            for root in self.roots
            for path in root.glob("*/treatment.yaml")
            if SLUG.fullmatch(path.parent.name)
        }
        return sorted(found)

    def _find(self, relative: str, language: str = "en") -> tuple[Path, str] | None:
        """First root holding ``relative`` (its translation first, then English).

        A kit file always wins over a built-in one, even in another language: a
        clinic's own text is never silently replaced by the built-in translation.
        A file that resolves outside the kit and the built-in folders is refused, be the
        link the file itself, its treatment folder or ``content/``.
        """
        stem, _, suffix = relative.rpartition(".")
        names = [(f"{stem}.{language}.{suffix}", language)] if language != "en" else []
        for root in self.roots:
            for name, found_language in (*names, (relative, "en")):
                candidate = root / name
                if candidate.is_file():
                    if problem := outside_problem(candidate, self.readable):
                        raise ContentError(f"{display_path(candidate)}: {problem}")
                    return candidate, found_language
        return None

    def treatment(self, slug: str, language: str = "en") -> Treatment:
        """Load one treatment's ``treatment.yaml`` (and its translation for ``language``).

        An unknown name is an error listing the treatments that exist.
        """
        found = self._find(f"{slug}/treatment.yaml") if SLUG.fullmatch(slug) else None
        if found is None:
            known = ", ".join(self.slugs()) or "none"
            raise ContentError(f"unknown treatment {slug!r}; available: {known}")
        path = found[0]
        meta = _read_model(path, TreatmentMeta)
        translated = self._find(f"{slug}/treatment.yaml", language)
        if translated is None or translated[1] == "en":
            return Treatment(slug, path.parent, meta)
        words = _read_model(translated[0], TreatmentTranslation)
        meta = meta.model_copy(update=words.model_dump())
        return Treatment(slug, path.parent, meta, language)

    def block(self, treatment: Treatment, name: str, language: str = "en") -> Block:
        """Load one block of ``treatment``, kit first; a missing block names every place."""
        relative = f"{treatment.slug}/{name}.md"
        found = self._find(relative, language)
        if found is None:
            searched = ", ".join(display_path(root / relative) for root in self.roots)
            raise ContentError(
                f"{display_path(treatment.path / 'treatment.yaml')}: blocks: "
                f"{name!r} not found (looked in {searched})"
            )
        return read_block(found[0], treatment.slug, name, found[1])

    def languages(self, treatment: Treatment) -> list[str]:
        """Languages the treatment is written in: English plus any ``<block>.<lang>.md``."""
        found = {"en"}
        for root in self.roots:
            for path in (root / treatment.slug).glob("*.*.md"):
                found.add(path.suffixes[-2].lstrip("."))
        return sorted(found, key=lambda language: (language != "en", language))

    def catalogue(self) -> list[dict[str, object]]:
        """Every treatment as plain data: name, title, summary, languages and blocks."""
        entries = []
        for slug in self.slugs():
            treatment = self.treatment(slug)
            entries.append(
                {
                    "name": slug,
                    "title": treatment.meta.title,
                    "summary": treatment.meta.summary,
                    "languages": self.languages(treatment),
                    "blocks": treatment.meta.blocks,
                }
            )
        return entries

    def blocks(self, treatment: Treatment, language: str = "en") -> list[Block]:
        """All blocks of ``treatment`` in the order ``treatment.yaml`` lists them."""
        return [self.block(treatment, name, language) for name in treatment.meta.blocks]
