"""Change a YAML file the tool writes or a person keeps, keeping its comments and order.

Round-trip through ruamel.yaml; the new text replaces the file atomically, so a failed
save leaves the file as it was.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from .atomic import save_file
from .errors import ConfigError
from .kit_files import KitFileError, read_kit_text
from .paths import display_path


def _yaml() -> YAML:
    handler = YAML(typ="rt")
    handler.preserve_quotes = True
    handler.width = 4096  # long lines stay on one line
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def load_for_edit(path: Path, header: str | None = None) -> CommentedMap:
    """The file as an editable mapping (empty, with ``header`` as its comment, if missing)."""
    if not path.exists():
        document = CommentedMap()
        if header:
            document.yaml_set_start_comment(header)
        return document
    try:
        document = _yaml().load(read_kit_text(path))
    except (KitFileError, YAMLError) as error:
        raise ConfigError(
            f"{display_path(path)}: cannot be edited ({error}); fix it first"
        ) from None
    if document is None:
        return CommentedMap()
    if not isinstance(document, CommentedMap):
        raise ConfigError(f"{display_path(path)}: expected 'key: value' lines at the top level")
    return document


def dump_text(document: Any) -> str:
    stream = io.StringIO()
    _yaml().dump(document, stream)
    return stream.getvalue()


def save_edited(path: Path, document: Any) -> None:
    """Write ``document`` back to ``path`` atomically (the old file stays if this fails)."""
    save_file(path, dump_text(document).encode("utf-8"))
