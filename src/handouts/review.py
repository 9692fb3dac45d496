"""``handouts review``: each section the clinic should read, where its text is, what changed.

A section is listed when it is new (never approved), changed since its approval, or its
review date is past or as near as ``check`` warns about. Translations are listed when they
changed, or when the English text is approved and they are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .approvals import approval_state, text_diff
from .check import REVIEW_WARNING_DAYS
from .clock import today as clock_today
from .config import load_clinic
from .content import Block, ContentLibrary
from .errors import HandoutsError
from .paths import inside
from .readability import Readability, measure_versions


@dataclass(frozen=True)
class ReviewItem:
    """One section (in one language) to read, and why."""

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

    @property
    def subject(self) -> str:
        return self.key if self.language == "en" else f"{self.key} ({self.language})"


def sections_to_review(
    clinic_dir: Path | str | None = None, today: date | None = None
) -> list[ReviewItem]:
    """Every section to read before the clinic's leaflets can be trusted, in library order."""
    today = today or clock_today()
    clinic = load_clinic(clinic_dir)
    library = ContentLibrary(clinic.kit_dir)
    kit_content = clinic.kit_dir / "content"
    items = []

    def item(block: Block, reasons: list[str], diff: str | None) -> ReviewItem:
        scores = measure_versions(block.body, block.short_body) if block.language == "en" else []
        in_kit = inside(block.path.resolve(), [kit_content.resolve()])
        return ReviewItem(
            block.key, block.language, reasons, block.path.resolve(), in_kit, diff, scores
        )

    for slug in library.slugs():
        try:
            treatment = library.treatment(slug)
            languages = library.languages(treatment)[1:]
            for name in treatment.meta.blocks:
                english = library.block(treatment, name)
                reasons, diff, approved = _reasons(clinic, english)
                reasons += _due(english, today)
                if reasons:
                    items.append(item(english, reasons, diff))
                for language in languages:
                    block = library.block(treatment, name, language)
                    if block.language != language:
                        continue
                    reasons, diff, _ = _reasons(clinic, block)
                    if reasons and (diff is not None or approved):
                        items.append(item(block, reasons, diff))
        except HandoutsError:
            continue  # a broken treatment or section: 'handouts check' reports it
    return items


def _reasons(clinic, block: Block) -> tuple[list[str], str | None, bool]:
    """Why the approval asks for a reading, the diff if it changed, and whether approved."""
    state = approval_state(clinic, block)
    if state.status == "changed":
        approval = state.approval
        said = f"changed since approved on {approval.day} by {approval.by}"
        return [said], text_diff(approval, block), False
    if state.status == "new":
        return ["new: not approved yet"], None, False
    return [], None, True


def _due(block: Block, today: date) -> list[str]:
    due = block.meta.review_due
    if due < today:
        return [f"review overdue (was due on {due.isoformat()})"]
    if due <= today + timedelta(days=REVIEW_WARNING_DAYS):
        return [f"review due on {due.isoformat()} (in {(due - today).days} days)"]
    return []
