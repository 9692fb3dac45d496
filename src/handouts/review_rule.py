"""Sections past their review date, wherever a leaflet is made (build, batch, email, web).

clinic.yaml's ``review_overdue`` says what happens: ``mark`` (the default) prints the
section with a "Review overdue" tag and warns; ``refuse`` makes no leaflet with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from .clock import today
from .config import Clinic
from .content import Block
from .errors import ContentError, HandoutsWarning
from .paths import display_path


class ReviewOverdueWarning(HandoutsWarning):
    """A section in the leaflet is past its review date; it carries a "Review overdue" tag."""


class ReviewOverdue(ContentError):
    """A section is past its review date and the clinic refuses such leaflets."""

    http_status = 409  # the kit's state, not the request, stops it: the web app says so


def overdue_blocks(blocks: Sequence[Block]) -> list[Block]:
    """The blocks whose review date has passed (as of ``clock.today``)."""
    day = today()
    return [block for block in blocks if block.meta.review_due < day]


def apply_review_rule(blocks: Sequence[Block], clinic: Clinic) -> None:
    """Warn about (``mark``) or refuse (``refuse``) the overdue sections among ``blocks``."""
    overdue = overdue_blocks(blocks)
    if overdue and clinic.review_overdue == "refuse":
        first, others = overdue[0], [block.key for block in overdue[1:]]
        also = f"; also overdue: {', '.join(others)}" if others else ""
        raise ReviewOverdue(
            f"{first.key}: review was due on {first.meta.review_due.isoformat()}, so the "
            f"leaflet was not made (clinic.yaml says review_overdue: refuse){also}. To fix: "
            f"{_fix(first)}; or set review_overdue: mark"
        )
    for block in overdue:
        warnings.warn(
            f"{block.key}: review was due on {block.meta.review_due.isoformat()}; it is "
            f"printed with a 'Review overdue' tag: {_fix(block)}",
            ReviewOverdueWarning,
            stacklevel=3,
        )


def _fix(block: Block) -> str:
    return (
        f"review the text in {display_path(block.path)}, then update reviewed, review_due "
        f"and version, and run 'handouts approve {block.key} --by NAME'"
    )
