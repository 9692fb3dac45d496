"""Change clinic.yaml from the manager workspace: the same checks as loading it, comments kept.

An edit is applied to the file's round-trip document (``yaml_edit``), checked by the schema
``load_clinic`` uses (``config.clinic_from_text``), then saved atomically under the kit's
write lock, and each changed value goes into the audit log as a ``branding`` entry.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import ScalarString

from .approve import DEMO_NOT_CHANGED
from .audit import AuditEntry, record_audit
from .clock import now_iso
from .config import CONFIG_NAME, Clinic, clinic_from_text, load_clinic
from .errors import ConfigError, InputError
from .history_file import HistoryError, check_history
from .kit_lock import kit_lock
from .paths import display_path, is_demo_kit
from .yaml_edit import dump_text, load_for_edit, save_edited

AUDIT_ACTION = "branding"
MAX_AUDIT_VALUE = 80
"""Characters of an old or new value kept in the audit log."""
NUMBER_KEYS = {"minimum_age", "mail.port", "mail.precare_days", "mail.timeout"}
"""Keys written as plain numbers (``minimum_age: 18``), not as quoted text."""
KEY_ALIASES = {"colors": "colours"}
"""A kit may spell a key the other way; the edit keeps the kit's spelling."""
KEY_ALIASES_BACK = {alias: key for key, alias in KEY_ALIASES.items()}


class ClinicEditRefused(InputError):
    """The edit would make clinic.yaml invalid: ``problems`` by key, as ``load_clinic`` says."""

    def __init__(self, message: str, problems: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = dict(problems or {})

    def __reduce__(self):
        return type(self), (self.message, self.problems)


@dataclass(frozen=True)
class Change:
    """One value changed in clinic.yaml (dotted key, e.g. ``colors.primary``)."""

    key: str
    old: str | None
    new: str | None


@dataclass
class ClinicEdit:
    """What a save changes: values by dotted key (``""`` empties one), and files to write."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    """Kit-relative path -> content, written before clinic.yaml is checked."""
    check: Callable[[Clinic], Mapping[str, str]] | None = None
    """Further problems by key (e.g. contrast) on the clinic as it would be."""


def refuse_demo(kit_dir: Path) -> None:
    """The built-in demo clinic is part of handouts: never changed from the web."""
    if is_demo_kit(kit_dir):
        raise InputError(f"clinic: {DEMO_NOT_CHANGED}")


def document_values(kit_dir: Path) -> dict[str, str]:
    """Every scalar in clinic.yaml by dotted key, as text (``""`` for an empty one)."""
    found: dict[str, str] = {}

    def walk(mapping: Mapping, prefix: str) -> None:
        for key, value in mapping.items():
            name = KEY_ALIASES_BACK.get(str(key), str(key)) if not prefix else str(key)
            if isinstance(value, Mapping):
                walk(value, f"{prefix}{name}.")
            elif not isinstance(value, list):
                found[prefix + name] = "" if value is None else str(value)

    walk(load_for_edit(kit_dir / CONFIG_NAME), "")
    return found


def _parent(document: CommentedMap, parts: list[str], create: bool) -> CommentedMap | None:
    """The mapping holding the last part of a dotted key (made when ``create``)."""
    mapping = document
    for index, part in enumerate(parts[:-1]):
        if index == 0 and part not in mapping and KEY_ALIASES.get(part) in mapping:
            part = KEY_ALIASES[part]
        child = mapping.get(part)
        if not isinstance(child, CommentedMap):
            if not create:
                return None
            child = mapping[part] = CommentedMap()
        mapping = child
    return mapping


def _written(key: str, value: Any, old: Any) -> Any:
    """``value`` as clinic.yaml should hold it: numbers plain, old quotes kept, empty None."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").strip()
        if value == "":
            return None
        if key in NUMBER_KEYS and value.isdigit():
            return int(value)
        if isinstance(old, ScalarString):
            return type(old)(value)
    return value


def _text(value: Any) -> str | None:
    """A value as one line of text (a mapping as ``key: value, ...``); None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {item}" for key, item in value.items() if item is not None)
    return str(value).replace("\r\n", "\n").strip()


def _short(value: Any) -> str | None:
    text = _text(value)
    if text is None or len(text) <= MAX_AUDIT_VALUE:
        return text
    return text[: MAX_AUDIT_VALUE - 1] + "…"


def apply_values(document: CommentedMap, values: Mapping[str, Any]) -> list[Change]:
    """Set each dotted key in ``document``; the changes made (unchanged values are left be)."""
    changes = []
    for key, value in values.items():
        parts = key.split(".")
        mapping = _parent(document, parts, create=value not in ("", None))
        if mapping is None:
            continue  # emptying a value whose section is not there: nothing to do
        old = mapping.get(parts[-1])
        new = _written(key, value, old)
        if _text(old) == _text(new):
            continue
        if isinstance(new, Mapping) and not isinstance(new, CommentedMap):
            new = CommentedMap(new)
        _keep_trailing_comment(mapping, parts[-1], old, new)
        mapping[parts[-1]] = new
        changes.append(Change(key, _short(old), _short(new)))
    return changes


def _keep_trailing_comment(mapping: CommentedMap, key: str, old: Any, new: Any) -> None:
    """Keep the comment lines after ``key`` after it when a value becomes a mapping or back.

    ruamel keeps them with the last scalar written: the key's own value, or a mapping's last.
    """
    if isinstance(old, CommentedMap) == isinstance(new, CommentedMap):
        return
    if isinstance(old, CommentedMap):
        token = old.ca.items.pop(next(reversed(old)), [None] * 4)[2] if old else None
    else:
        token = mapping.ca.items.pop(key, [None] * 4)[2]
    if token is None:
        return
    if isinstance(new, CommentedMap) and new:
        new.ca.items[next(reversed(new))] = [None, None, token, None]
    elif not isinstance(new, CommentedMap):
        mapping.ca.items[key] = [None, None, token, None]


def problems_by_key(message: str, source: str) -> dict[str, str]:
    """``load_clinic``'s message (``source: key: problem`` lines) as problems by key.

    A line without a key (a YAML syntax error) goes under ``""``.
    """
    problems: dict[str, str] = {}
    for line in message.splitlines():
        line = line.removeprefix(f"{source}: ")
        key, separator, problem = line.partition(": ")
        if not separator or " " in key:
            key, problem = "", line
        head, _, rest = key.partition(".")
        key = KEY_ALIASES_BACK.get(head, head) + (f".{rest}" if rest else "")
        problems[key] = f"{problems[key]}; {problem}" if key in problems else problem
    return problems


def check_text(text: str, kit_dir: Path) -> Clinic:
    """The clinic ``text`` would be; ClinicEditRefused with ``load_clinic``'s problems if none."""
    source = display_path(kit_dir / CONFIG_NAME)
    try:
        return clinic_from_text(text, kit_dir, source)
    except ConfigError as error:
        problems = problems_by_key(error.message, source)
        raise ClinicEditRefused(
            "clinic.yaml: not saved, "
            + "; ".join(
                f"{key}: {problem}" if key else problem for key, problem in problems.items()
            ),
            problems,
        ) from None


def edit_clinic(kit_dir: Path, edit: ClinicEdit, who: str) -> list[Change]:
    """Save ``edit`` to the kit's clinic.yaml (comments and order kept) and audit it.

    Nothing is written when the edit would make clinic.yaml invalid (ClinicEditRefused).
    """
    refuse_demo(kit_dir)
    clinic = load_clinic(kit_dir)
    check_history(clinic)  # the audit log must be able to record it before anything changes
    config_file = kit_dir / CONFIG_NAME
    with kit_lock(kit_dir):
        document = load_for_edit(config_file)  # as another writer may just have left it
        changes = apply_values(document, edit.values)
        text = dump_text(document)
        kept = {relative: _old_content(kit_dir / relative) for relative in edit.files}
        try:
            for relative, data in edit.files.items():
                _save_kit_file(kit_dir, relative, data)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                edited = check_text(text, kit_dir)
            if edit.check is not None and (problems := dict(edit.check(edited))):
                details = "; ".join(f"{key}: {problem}" for key, problem in problems.items())
                raise ClinicEditRefused(f"clinic.yaml: not saved, {details}", problems)
            if changes:
                save_edited(config_file, document)
        except BaseException:
            _put_back(kit_dir, kept)
            raise
    at = now_iso()
    files = [
        Change(
            relative, None, f"{len(data):,} bytes, sha256:{hashlib.sha256(data).hexdigest()[:12]}"
        )
        for relative, data in edit.files.items()
    ]
    entries = [
        AuditEntry(at, who, AUDIT_ACTION, change.key, change.old, change.new)
        for change in [*changes, *files]
    ]
    if entries:
        try:
            record_audit(clinic, entries)
        except HistoryError as error:
            raise HistoryError(
                f"clinic.yaml was saved, but the audit log could not record it: {error.message}"
            ) from None
    return [*changes, *files]


def _file_summary(data: bytes) -> str:
    return f"{len(data):,} bytes, sha256:{hashlib.sha256(data).hexdigest()[:12]}"


def _old_content(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def _put_back(kit_dir: Path, kept: Mapping[str, bytes | None]) -> None:
    """Undo the files a refused save wrote: the old content again, or no file."""
    for relative, data in kept.items():
        path = kit_dir / relative
        if data is not None:
            _save_kit_file(kit_dir, relative, data)
        elif path.is_file() and not path.is_symlink():
            path.unlink()


def _save_kit_file(kit_dir: Path, relative: str, data: bytes) -> None:
    """Write an uploaded file (its name is ours, never the upload's) inside the kit."""
    from .atomic import save_file

    target = (kit_dir / relative).resolve()
    if not target.is_relative_to(kit_dir.resolve()):
        raise InputError(f"{relative}: would be written outside the kit; nothing was saved")
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(target, data)
