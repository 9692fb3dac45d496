"""Save a section's words from the manager workspace, or go back to the built-in text.

A save is checked first (``section_draft.check_draft``: text that would not load or print
is refused with the loader's message, and nothing is written). It is written as the kit's
own file, ``content/<treatment>/<section>[.<lang>].md``, its front matter kept and its
version raised, atomically and under the kit's lock; the audit log records it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from .approvals import text_digest
from .approve import DEMO_NOT_CHANGED
from .atomic import save_file
from .audit import AuditEntry, record_audit
from .clock import now_iso
from .config import Clinic
from .content import Block, ContentLibrary, read_block
from .errors import ContentError, HandoutsError, InputError
from .history_file import HistoryError, check_history
from .kit_files import outside_problem
from .kit_lock import kit_lock
from .paths import display_path, is_demo_kit
from .section_draft import Section, check_draft, compose, normal_text, open_section, own_translation


@dataclass(frozen=True)
class Change:
    """What a save or a revert did, as the audit log has it."""

    entry: AuditEntry
    path: Path
    version: str
    warnings: tuple[str, ...] = ()


def is_demo(clinic: Clinic) -> bool:
    return is_demo_kit(clinic.kit_dir)


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
        elif block.language == "en" and own_translation(
            library, section.treatment, f"{section.name}.{language}.md"
        ):
            notes.append((language, "hidden"))
    return notes
