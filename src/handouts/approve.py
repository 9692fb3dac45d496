"""``handouts approve``: record that a person read a section, bound to its words.

Each section is approved in every language the kit has it in, each with its own hash.
Every run also migrates clinic.yaml's legacy ``approved:`` lines whose version still
matches: they move to approvals.yaml (comments in clinic.yaml are kept). Each approval and
migration goes into the audit log.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from .approvals import Loader, approvals_path, load_approvals, text_digest
from .atomic import save_file
from .audit import AuditEntry, record_audit
from .clock import now_iso
from .config import CONFIG_NAME, Clinic, load_clinic
from .content import Block, ContentLibrary
from .errors import ContentError, HandoutsError, InputError
from .history_file import HistoryError, check_history
from .kit_lock import kit_lock
from .paths import display_path, is_demo_kit
from .yaml_edit import dump_text, load_for_edit, save_edited

HEADER = """\
Sections your clinic has read and approved, written by 'handouts approve'.
Each records, per language: the version, a SHA-256 of the text (the Markdown after the
front matter, line endings as \\n), who approved it, when, and the text approved.
When the text changes, the section is no longer approved and 'handouts check' shows
what changed. Do not edit by hand: run 'handouts approve TREATMENT/SECTION --by NAME'."""

DEMO_NOT_CHANGED = (
    "name your clinic kit; the built-in demo clinic is part of handouts and is not changed "
    "(make a kit with 'handouts init DIR')"
)


@dataclass(frozen=True)
class ApprovedSection:
    """One line of what ``handouts approve`` did."""

    key: str
    version: str
    languages: tuple[str, ...]
    path: Path
    """The English text's file: the kit's override or the built-in one."""
    migrated: bool = False
    """True for a legacy clinic.yaml line moved to approvals.yaml."""


def approve_sections(
    targets: Sequence[str], by: str, clinic_dir: Path | str | None = None
) -> list[ApprovedSection]:
    """Approve ``targets`` (``treatment`` or ``treatment/section``) as ``by``, now."""
    by = " ".join(by.split())
    if not by:
        raise InputError("--by: give the name of the person who read and approves the text")
    clinic = load_clinic(clinic_dir)
    if clinic_dir is None or is_demo_kit(clinic.kit_dir):
        raise InputError(f"--clinic: {DEMO_NOT_CHANGED}")
    library = ContentLibrary(clinic.kit_dir)
    chosen = {key: blocks for target in targets for key, blocks in _sections(library, target)}
    check_history(clinic)  # the audit log must be able to record it before anything changes
    with kit_lock(clinic.kit_dir):
        with warnings.catch_warnings():  # said once already
            warnings.simplefilter("ignore")
            clinic = load_clinic(clinic.kit_dir)  # as another writer may just have left it
        legacy = _legacy_matches(clinic, library)
        if not chosen and not legacy:
            raise InputError(
                "sections: name a treatment or treatment/section to approve (clinic.yaml has "
                "no approved: lines to migrate either)"
            )
        entries, done = _approve(clinic, chosen, legacy, by)
    try:
        record_audit(clinic, entries)
    except HistoryError as error:
        raise HistoryError(
            f"the approvals were saved, but the audit log could not record them: {error.message}"
        ) from None
    return done


def _approve(
    clinic: Clinic, chosen: dict[str, list[Block]], legacy: dict[str, list[Block]], by: str
) -> tuple[list[AuditEntry], list[ApprovedSection]]:
    """Write the approvals (and drop migrated lines from clinic.yaml): what to audit and say."""
    at, entries, done = now_iso(), [], []
    document = load_for_edit(approvals_path(clinic.kit_dir), HEADER)
    previous = load_approvals(clinic.kit_dir)
    for key, blocks in {**legacy, **chosen}.items():
        migrated = key in legacy and key not in chosen
        for block in blocks:
            old = previous.get(key, {}).get(block.language)
            if migrated:
                before = f"{clinic.approved[key]} (clinic.yaml, no text hash)"
            else:
                before = f"{old.version} sha256:{old.sha256[:12]}" if old else None
            digest = text_digest(block.markdown)
            _set_record(document, block, digest, by, at)
            action = "migrate" if migrated else "approve"
            new = f"{block.meta.version} sha256:{digest[:12]}"
            entries.append(AuditEntry(at, by, action, f"{key} ({block.language})", before, new))
        languages = tuple(block.language for block in blocks)
        version, path = blocks[0].meta.version, blocks[0].path
        done.append(ApprovedSection(key, version, languages, path, migrated))
    _save_approvals(clinic, document)
    if stale := [key for key in {**legacy, **chosen} if key in clinic.approved]:
        _drop_legacy(clinic, stale)
    return entries, done


def _sections(library: ContentLibrary, target: str) -> list[tuple[str, list[Block]]]:
    """Each section ``target`` names, with its text in every language it has."""
    slug, _, name = target.strip().partition("/")
    treatment = library.treatment(slug)  # an unknown one lists what exists
    names = [name] if name else treatment.meta.blocks
    if name and name not in treatment.meta.blocks:
        raise ContentError(
            f"{target}: {slug} has no section {name!r}; its sections: "
            f"{', '.join(treatment.meta.blocks)}"
        )
    found = []
    for section in names:
        blocks = [library.block(treatment, section, "en")]
        for language in library.languages(treatment)[1:]:
            block = library.block(treatment, section, language)
            if block.language == language:
                blocks.append(block)
        found.append((f"{slug}/{section}", blocks))
    return found


def _legacy_matches(clinic: Clinic, library: ContentLibrary) -> dict[str, list[Block]]:
    """clinic.yaml ``approved:`` lines whose version is still the text's (to migrate)."""
    matches = {}
    for key, version in clinic.approved.items():
        try:
            [(_, blocks)] = _sections(library, key)
        except (ContentError, ValueError):
            continue  # not one section (check warns about it): left in clinic.yaml
        if blocks[0].meta.version == version:
            matches[key] = blocks
    return matches


def _text_value(text: str):
    """The text as a readable ``|`` block when YAML keeps it exactly so, else quoted."""
    lines = text.split("\n")
    plain = "\t" not in text and all(line == line.rstrip() for line in lines)
    if plain and text.strip() and not text.lstrip("\n")[0].isspace():
        return LiteralScalarString(text)
    return text


def _set_record(document: CommentedMap, block: Block, digest: str, by: str, at: str) -> None:
    entry = document.get(block.key)
    if not isinstance(entry, CommentedMap):
        entry = document[block.key] = CommentedMap()
    entry[block.language] = CommentedMap(
        [
            ("version", DoubleQuotedScalarString(block.meta.version)),
            ("sha256", digest),
            ("by", DoubleQuotedScalarString(by)),
            ("at", DoubleQuotedScalarString(at)),
            ("text", _text_value(block.markdown)),
        ]
    )


def _save_approvals(clinic: Clinic, document: CommentedMap) -> None:
    """Write approvals.yaml, first making sure every text reads back to its own hash."""
    path = approvals_path(clinic.kit_dir)
    text = dump_text(document)
    written = yaml.load(text, Loader=Loader)
    for key, languages in written.items():
        for language, record in languages.items():
            if text_digest(record["text"]) != record["sha256"]:
                raise HandoutsError(
                    f"{display_path(path)}: {key} ({language}) would not read back as "
                    "approved; nothing was changed (please report this)"
                )
    save_file(path, text.encode("utf-8"))


def _drop_legacy(clinic: Clinic, keys: list[str]) -> None:
    """Remove ``keys`` (now in approvals.yaml) from clinic.yaml's ``approved:``, keeping
    its comments."""
    config_file = clinic.kit_dir / CONFIG_NAME
    document = load_for_edit(config_file)
    approved = document.get("approved")
    if not isinstance(approved, CommentedMap):
        return
    for key in keys:
        approved.pop(key, None)
    save_edited(config_file, document)
