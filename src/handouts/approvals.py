"""Approvals bound to the words: the kit's ``approvals.yaml`` and whether a section is approved.

An approval records, per section and language, the version, the SHA-256 of the section's
Markdown (``Block.markdown``), who approved it and when, and the approved text itself so
that a change can be shown as a diff. A section whose text or version changed since its
approval is not approved. clinic.yaml's older ``approved: {key: version}`` still counts
while the version matches ("legacy": no text hash), until ``handouts approve`` migrates it.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from .config import Clinic
from .content import Block
from .errors import ConfigError
from .kit_files import KitFileError, read_kit_text
from .paths import display_path

APPROVALS_NAME = "approvals.yaml"
MAX_DIFF_LINES = 40
"""A longer diff is cut, with a line saying how many lines were left out."""

Status = Literal["approved", "legacy", "changed", "new"]
Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
"""Every value stays text (versions such as ``1.10``); the C loader keeps a big file quick."""


@dataclass(frozen=True)
class Approval:
    """One section in one language, as approved."""

    version: str
    sha256: str
    by: str
    at: str
    """ISO date-time with its offset, e.g. ``2026-12-01T19:30:05+00:00``."""
    text: str
    """The Markdown approved (after the front matter), for the diff when it changes."""

    @property
    def day(self) -> str:
        return self.at[:10]


@dataclass(frozen=True)
class ApprovalState:
    """Where a section stands: approved, legacy (version only), changed since, or new."""

    status: Status
    approval: Approval | None = None

    @property
    def approved(self) -> bool:
        return self.status in ("approved", "legacy")


Approvals = dict[str, dict[str, Approval]]
"""``{"<treatment>/<block>": {"<language>": Approval}}``."""


def text_digest(markdown: str) -> str:
    """SHA-256 of a section's Markdown, line endings made ``\\n`` first."""
    normal = markdown.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def approvals_path(kit_dir: Path) -> Path:
    return kit_dir / APPROVALS_NAME


_cache: dict[Path, tuple[tuple[int, int], Approvals]] = {}


def load_approvals(kit_dir: Path | None) -> Approvals:
    """The kit's approvals (empty when it has no approvals.yaml); ConfigError names a bad one."""
    if kit_dir is None:
        return {}
    path = approvals_path(kit_dir)
    try:
        status = path.stat()
    except FileNotFoundError:
        return {}
    signature = (status.st_size, status.st_mtime_ns)
    cached = _cache.get(path)
    if cached is not None and cached[0] == signature:
        return cached[1]
    approvals = _parse(path)
    _cache[path] = (signature, approvals)
    return approvals


def _parse(path: Path) -> Approvals:
    source = display_path(path)
    try:
        raw = yaml.load(read_kit_text(path), Loader=Loader)
    except KitFileError as error:
        raise ConfigError(str(error)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(
            f"{source}: {where}could not read it ({getattr(error, 'problem', error)}); "
            "undo the last hand edit, or delete the section's entry and approve it again"
        ) from None
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected one entry per section ('treatment/section:')")
    approvals: Approvals = {}
    for key, languages in (raw or {}).items():
        for language, record in (languages or {}).items() if isinstance(languages, dict) else ():
            try:
                fields = {name: record[name] for name in Approval.__dataclass_fields__}
                if not all(isinstance(value, str) for value in fields.values()):
                    raise TypeError
            except (KeyError, TypeError):
                raise ConfigError(
                    f"{source}: {key}: {language}: needs version, sha256, by, at and text; "
                    "approve the section again with 'handouts approve'"
                ) from None
            approvals.setdefault(key, {})[language] = Approval(**fields)
    return approvals


def approval_state(clinic: Clinic, block: Block) -> ApprovalState:
    """Whether ``block`` (in its own language) is approved for ``clinic``, and how."""
    records = load_approvals(clinic.kit_dir).get(block.key)
    if records:
        approval = records.get(block.language)
        if approval is None:
            return ApprovalState("new")
        same = approval.version == block.meta.version
        if same and approval.sha256 == text_digest(block.markdown):
            return ApprovalState("approved", approval)
        return ApprovalState("changed", approval)
    if clinic.approved.get(block.key) == block.meta.version:
        return ApprovalState("legacy")
    return ApprovalState("new")


def is_approved(clinic: Clinic, block: Block) -> bool:
    return approval_state(clinic, block).approved


def changed_since(approval: Approval, block: Block) -> str:
    """``changed since approved on <date> by <name>``, what changed, and the diff."""
    said = f"changed since approved on {approval.day} by {approval.by}"
    if approval.sha256 == text_digest(block.markdown):
        return (
            f"{said}: the text is the same, but its version is now {block.meta.version} "
            f"(approved: {approval.version}); read it, then run 'handouts approve {block.key}'"
        )
    if approval.version == block.meta.version:
        versions = f"still version {approval.version}"
    else:
        versions = f"version {approval.version}, now {block.meta.version}"
    return (
        f"{said} ({versions}); read the changes, then run "
        f"'handouts approve {block.key}':\n{text_diff(approval, block)}"
    )


def text_diff(approval: Approval, block: Block) -> str:
    """A short unified diff from the approved text to the text now."""
    lines = list(
        difflib.unified_diff(
            approval.text.splitlines(),
            block.markdown.splitlines(),
            f"approved {approval.day}",
            display_path(block.path),
            n=1,
            lineterm="",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        left = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... ({left} more lines)"]
    return "\n".join(lines)
