"""Read YAML the way clinic staff write it, with errors that name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def display_path(path: Path) -> str:
    """Path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def parse_yaml(text: str, source: str, first_line: int = 1) -> Any:
    """Parse YAML keeping every scalar as the text written (``1.10`` stays ``"1.10"``).

    Types are applied afterwards by the schema, so versions, phone numbers and
    postcodes are never turned into numbers by accident. ``first_line`` is the
    file line where ``text`` starts, for error messages.
    """
    try:
        return yaml.load(text, Loader=yaml.BaseLoader)  # BaseLoader builds no objects
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + first_line}: " if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise ValueError(
            f"{source}: {where}could not read YAML ({problem}); check indentation and colons"
        ) from None
