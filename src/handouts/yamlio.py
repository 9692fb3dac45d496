"""Read YAML the way clinic staff write it, with errors that name file and line."""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

import yaml
from pydantic import ValidationError

from .nesting import MAX_YAML_LEVELS

MAX_YAML_BYTES = 256 * 1024
"""Larger clinic.yaml or front matter is refused: real ones are a few kilobytes."""

NULL_TAG = "tag:yaml.org,2002:null"
TEXT_TAG = "tag:yaml.org,2002:str"
COMMENT_AFTER = re.compile(r"[ \t]+(#[^\r\n]*)")
TOO_DEEP = (
    f"nested too deeply (lists or mappings inside each other more than {MAX_YAML_LEVELS} "
    "levels); simplify it"
)
INDENTATION = (
    "this line is indented differently from the lines around it; "
    "line up keys at the same level with spaces"
)


class CommentedOut(str):
    """An empty value followed by a ``# comment`` on its line, as in ``primary: #0e3b5c``.

    Compares equal to ``""``; ``comment`` keeps what YAML dropped, for error hints.
    """

    comment: str = ""


class _TextLoader(yaml.BaseLoader):
    """Scalars stay text, except a plain ``null``/``~``; no aliases, no duplicate keys."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.depth >= MAX_YAML_LEVELS:  # the composer recurses once per level
            raise yaml.composer.ComposerError(None, None, TOO_DEEP, self.peek_event().start_mark)
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not supported; write the value out",
                event.start_mark,
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == NULL_TAG:
                key_node.tag = TEXT_TAG  # a key named "null" stays the text written
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice; keep one", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_text(self, node: yaml.ScalarNode) -> str:
        """The text as written; an empty plain value cut off by a ``#`` keeps the comment."""
        value = self.construct_scalar(node)
        mark = node.end_mark
        if value == "" and node.style is None and mark is not None and mark.buffer:
            comment = COMMENT_AFTER.match(mark.buffer, mark.pointer)
            if comment:
                value = CommentedOut("")
                value.comment = comment.group(1).strip()
        return value


_TextLoader.add_implicit_resolver(NULL_TAG, re.compile(r"^(?:~|null|Null|NULL)$"), list("~nN"))
_TextLoader.add_constructor(NULL_TAG, lambda loader, node: None)
_TextLoader.add_constructor(TEXT_TAG, _TextLoader.construct_text)


def parse_yaml(text: str, source: str, first_line: int = 1) -> Any:
    """Parse YAML keeping every scalar as the text written (``1.10`` stays ``"1.10"``).

    Types are applied afterwards by the schema, so versions, phone numbers and
    postcodes are never turned into numbers by accident. A plain ``null``, ``Null``,
    ``NULL`` or ``~`` is None (empty), as YAML tools write it; a quoted one is text.
    ``first_line`` is the file line where ``text`` starts, for error messages.
    """
    return copy.deepcopy(_parsed(text, source, first_line))


@lru_cache(maxsize=512)
def _parsed(text: str, source: str, first_line: int) -> Any:
    """``parse_yaml``'s result, kept per text: a proof or a server reads the same files over
    and over (callers get a copy, so none changes another's)."""
    if len(text.encode("utf-8", "replace")) > MAX_YAML_BYTES:
        raise ValueError(
            f"{source}: too large for a settings file (over {MAX_YAML_BYTES // 1024} KB)"
        )
    loader = _TextLoader(text)  # BaseLoader: builds no objects
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark, problem = _plain_problem(error, text)
        where = f"line {mark.line + first_line}: " if mark else ""
        raise ValueError(f"{source}: {where}{problem}") from None
    finally:
        loader.dispose()


def _plain_problem(error: yaml.MarkedYAMLError, text: str) -> tuple[Any, str]:
    """The mark to point at and the problem in plain words, for PyYAML's usual errors."""
    problem, context = error.problem or "", error.context or ""
    at, opened = error.problem_mark, error.context_mark or error.problem_mark
    found = re.search(r"found character '(.+)' that cannot start any token", problem)
    if "'\\t'" in problem:
        indenting = not _line(text, at)[: at.column].strip()
        return (
            at,
            f"a tab character; {'indent with spaces' if indenting else 'use a space'} instead",
        )
    if found:
        return at, f"a value cannot start with {found.group(1)}; put the value in quotes"
    if "mapping values are not allowed" in problem:
        before = _line(text, at)[: at.column]
        if ": " in before or before.rstrip().endswith(":"):
            return at, "a value contains ': '; put the value in quotes"
        return at, INDENTATION
    if "could not find expected ':'" in problem:
        return opened, "this line has no ':'; write it as key: value"
    if "quoted scalar" in context:
        return opened, "a quote is opened but not closed; end the value with the same quote"
    if "flow sequence" in context or "flow mapping" in context:
        brackets = "[ ]" if "sequence" in context else "{ }"
        return opened, f"a {brackets} list is not closed; close it, or put the value in quotes"
    if "alias" in context or "anchor" in context:
        sign = "*" if "alias" in context else "&"
        return at, f"a value cannot start with {sign}; put the value in quotes"
    if "block scalar" in context:
        return at, "a value cannot start with | or >; put the value in quotes"
    if "expected <block end>" in problem:
        if "'<scalar>'" in problem and _line(text, at)[: at.column].strip():
            return at, "text after a closing quote; put the whole value in quotes"
        return at, INDENTATION
    if "expected a single document" in context:
        return at, "a line '---' starts a second document; remove it"
    if "unhashable key" in problem:
        return at, "a value cannot start with { or [; put the value in quotes"
    if "appears twice" in problem or "aliases" in problem or problem == TOO_DEEP:
        return at, problem  # our own words, from _TextLoader
    syntax = isinstance(error, yaml.scanner.ScannerError | yaml.parser.ParserError)
    hint = "; check indentation and colons" if syntax else ""
    return at or opened, f"could not read YAML ({problem or context or 'invalid YAML'}){hint}"


def _line(text: str, mark: Any) -> str:
    """The text of the line ``mark`` points into."""
    lines = text.splitlines()
    return lines[mark.line] if mark and mark.line < len(lines) else ""


def schema_error_lines(error: ValidationError, source: str) -> str:
    """Every schema problem as ``file: key: problem``, one per line."""
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        elif item["type"].endswith("_type") and item["input"] is None:
            message = "is empty"
        elif item["type"] == "string_too_long":
            message = f"is too long (at most {item['ctx']['max_length']} characters)"
        elif item["type"] == "string_too_short" or (
            item["type"] == "too_short" and not item["input"]
        ):
            message = "is empty"
        elif item["type"] == "literal_error":
            message = f"{item['input']!r} is not allowed: {message[0].lower()}{message[1:]}"
        if location:
            lines.append(f"{source}: {location}: {message}")
        else:
            lines.extend(f"{source}: {part}" for part in message.splitlines())
    return "\n".join(lines)
