"""Read YAML the way clinic staff write it, with errors that name file and line."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

MAX_YAML_BYTES = 256 * 1024
"""Larger clinic.yaml or front matter is refused: real ones are a few kilobytes."""


class _TextLoader(yaml.BaseLoader):
    """BaseLoader that refuses aliases (no 'billion laughs') and duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not supported; write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice; keep one", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def parse_yaml(text: str, source: str, first_line: int = 1) -> Any:
    """Parse YAML keeping every scalar as the text written (``1.10`` stays ``"1.10"``).

    Types are applied afterwards by the schema, so versions, phone numbers and
    postcodes are never turned into numbers by accident. ``first_line`` is the
    file line where ``text`` starts, for error messages.
    """
    if len(text.encode("utf-8", "replace")) > MAX_YAML_BYTES:
        raise ValueError(
            f"{source}: too large for a settings file (over {MAX_YAML_BYTES // 1024} KB)"
        )
    try:
        return yaml.load(text, Loader=_TextLoader)  # BaseLoader: builds no objects
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + first_line}: " if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        if "'\\t'" in problem:
            problem = "a tab character; indent with spaces instead"
        syntax = isinstance(error, yaml.scanner.ScannerError | yaml.parser.ParserError)
        hint = "; check indentation and colons" if syntax else ""
        raise ValueError(f"{source}: {where}could not read YAML ({problem}){hint}") from None


def schema_error_lines(error: ValidationError, source: str) -> str:
    """Every schema problem as ``file: key: problem``, one per line."""
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        elif item["type"] == "string_too_long":
            message = f"is too long (at most {item['ctx']['max_length']} characters)"
        elif item["type"] == "string_too_short":
            message = "is empty"
        elif item["type"] == "literal_error":
            message = f"{item['input']!r} is not allowed: {message[0].lower()}{message[1:]}"
        if location:
            lines.append(f"{source}: {location}: {message}")
        else:
            lines.extend(f"{source}: {part}" for part in message.split("; "))
    return "\n".join(lines)
