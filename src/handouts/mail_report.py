"""What an email run did: letters sent, written, not sent (by reason) and uncertain."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

NO_ADDRESS = "no email address; print the leaflet instead"
BAD_ROW = "not sent: the row needs fixing in the CSV"
AFTER_UNCERTAIN = "not sent: the run stopped after a letter the server did not confirm"
"""Causes, for counting the letters not sent by reason (more in .smtp)."""


@dataclass(frozen=True)
class UncertainEntry:
    """A letter that may or may not have arrived: a person checks, then resends or marks it."""

    row: int
    recipient: str
    message_id: str
    reason: str
    earlier: bool = False
    """True when it became uncertain on an earlier run (and so was not sent again now)."""


@dataclass
class EmailReport:
    """What an email run did."""

    rows: int = 0
    """Rows in the CSV file (blank lines not counted): every one is sent, written or listed."""
    sent: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    already_sent: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    """(row, reason) for every appointment not sent (or not written); row 0: no row."""
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    """(row, reason) for rows that repeat an earlier row exactly: sent once, not again."""
    causes: dict[tuple[int, str], str] = field(default_factory=dict, repr=False)
    """What each problem is counted as in ``summary_by_reason``."""
    uncertain: list[UncertainEntry] = field(default_factory=list)
    """Letters whose data went to the server with no answer: never sent again by itself."""

    def not_sent(self, row: int, reason: str, cause: str | None = None) -> None:
        """Report one appointment not sent; ``cause`` (default: ``reason``) groups it."""
        self.problems.append((row, reason))
        self.causes[(row, reason)] = cause or reason

    def summary_by_reason(self) -> dict[str, int]:
        """How many appointments were not sent for each reason, the commonest first."""
        counts = Counter(self.causes.get(problem, problem[1]) for problem in self.problems)
        return dict(counts.most_common())
