"""``handouts review``: each section the clinic should read, where its text is, what changed.

A section is listed when it is new (never approved), changed since its approval, or its
review date is past or as near as ``check`` warns about. Translations are listed when they
changed, or when the English text is approved and they are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from .approvals import ApprovalState, approval_state, text_diff
from .check import REVIEW_WARNING_DAYS
from .clock import today as clock_today
from .config import Clinic, load_clinic
from .content import Block, ContentLibrary, Treatment
from .errors import HandoutsError
from .paths import inside
from .readability import Readability, measure_versions

Timing = Literal["overdue", "due", None]


@dataclass(frozen=True)
class ReviewItem:
    """One section (in one language): where it stands, and why it is to read, if it is."""

    key: str
    language: str
    reasons: list[str]
    path: Path
    """The file the text is in: the kit's own, or the built-in one."""
    in_kit: bool
    diff: str | None = None
    """What changed since the approval, as a unified diff."""
    readability: list[tuple[str, Readability]] = field(default_factory=list)
    """English only: grade formulas are made for English."""
    state: ApprovalState = field(default_factory=lambda: ApprovalState("new"))
    timing: Timing = None
    """``overdue`` when the review date has passed, ``due`` when it is near."""
    block: Block | None = None

    @property
    def subject(self) -> str:
        return self.key if self.language == "en" else f"{self.key} ({self.language})"


def review_block(
    clinic: Clinic, block: Block, today: date, dates: bool = True, scores: bool = True
) -> ReviewItem:
    """Where ``block`` stands: its approval, (with ``dates``) its review date, file, scores."""
    state = approval_state(clinic, block)
    reasons, diff = _reasons(state, block)
    timing, said = _due(block, today) if dates else (None, [])
    measured = measure_versions(block.body, block.short_body) if scores else []
    kit_content = (clinic.kit_dir / "content").resolve()
    path = block.path.resolve()
    return ReviewItem(
        block.key, block.language, reasons + said, path, inside(path, [kit_content]), diff,
        measured, state, timing, block,
    )  # fmt: skip


def library_review(
    clinic_dir: Path | str | None = None, today: date | None = None
) -> list[tuple[Treatment, list[ReviewItem]]]:
    """Every treatment with every section (English), as ``review_block`` sees it."""
    clinic = load_clinic(clinic_dir)
    return _library_review(clinic, ContentLibrary(clinic.kit_dir), today or clock_today())


def _library_review(
    clinic: Clinic, library: ContentLibrary, today: date
) -> list[tuple[Treatment, list[ReviewItem]]]:
    found = []
    for slug in library.slugs():
        try:
            treatment = library.treatment(slug)
            blocks = library.blocks(treatment)
        except HandoutsError:
            continue  # a broken treatment or section: 'handouts check' reports it
        found.append((treatment, [review_block(clinic, block, today) for block in blocks]))
    return found


def sections_to_review(
    clinic_dir: Path | str | None = None, today: date | None = None
) -> list[ReviewItem]:
    """Every section to read before the clinic's leaflets can be trusted, in library order."""
    today = today or clock_today()
    clinic = load_clinic(clinic_dir)
    library = ContentLibrary(clinic.kit_dir)
    items = []
    for treatment, sections in _library_review(clinic, library, today):
        languages = library.languages(treatment)[1:]
        for english in sections:
            items += [english] if english.reasons else []
            for language in languages:
                try:
                    block = library.block(treatment, english.block.name, language)
                except HandoutsError:
                    continue  # 'handouts check' reports it
                if block.language != language:
                    continue
                item = review_block(clinic, block, today, dates=False, scores=False)
                if block.meta.version != english.block.meta.version:
                    behind = (
                        f"translates version {block.meta.version}; the English text is now "
                        f"version {english.block.meta.version}: update the translation"
                    )
                    item = replace(item, reasons=[*item.reasons, behind])
                    items.append(item)
                elif item.reasons and (item.diff is not None or english.state.approved):
                    items.append(item)
    return items


def _reasons(state: ApprovalState, block: Block) -> tuple[list[str], str | None]:
    """Why the approval asks for a reading, and the diff if the text changed."""
    if state.status == "changed":
        approval = state.approval
        said = f"changed since approved on {approval.day} by {approval.by}"
        return [said], text_diff(approval, block)
    if state.status == "new":
        return ["new: not approved yet"], None
    return [], None


def _due(block: Block, today: date) -> tuple[Timing, list[str]]:
    due = block.meta.review_due
    if due < today:
        return "overdue", [f"review overdue (was due on {due.isoformat()})"]
    if due <= today + timedelta(days=REVIEW_WARNING_DAYS):
        return "due", [f"review due on {due.isoformat()} (in {(due - today).days} days)"]
    return None, []
