"""The audit log: who approved, migrated, edited or added what, or changed the clinic's
details, when, with the old and new version.

Kept in the ``audit`` table of the clinic's history database, never changed once written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields

from .config import Clinic
from .history_file import connect


@dataclass(frozen=True)
class AuditEntry:
    """One change to what the clinic hands out."""

    at: str
    who: str
    action: str
    """``approve``; ``migrate`` (a clinic.yaml ``approved:`` line moved to approvals.yaml);
    ``branding`` (a clinic.yaml value or a logo or font file saved from the manager
    workspace); ``edit`` (text saved in the workspace), ``revert`` (the kit's own text
    removed, the built-in one used again) or ``add-treatment``."""
    subject: str
    old: str | None = None
    new: str | None = None


COLUMNS = [field.name for field in fields(AuditEntry)]


def record_audit(clinic: Clinic, entries: list[AuditEntry]) -> None:
    """Append ``entries`` to the clinic's audit log, all in one transaction."""
    with connect(clinic) as connection:
        connection.executemany(
            f"INSERT INTO audit ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            [astuple(entry) for entry in entries],
        )


def audit_log(clinic: Clinic) -> list[AuditEntry]:
    """Every audit entry, oldest first."""
    with connect(clinic) as connection:
        rows = connection.execute(f"SELECT {', '.join(COLUMNS)} FROM audit ORDER BY id").fetchall()
    return [AuditEntry(*row) for row in rows]


def audit_csv(entries: list[AuditEntry]) -> str:
    """The entries as CSV with a header row (for a spreadsheet or an inspector)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([spreadsheet_text(value) for value in astuple(entry)] for entry in entries)
    return out.getvalue()


def spreadsheet_text(value: str | None) -> str:
    """A value a spreadsheet shows as text, never runs as a formula (``=``, ``+``, ``-``, ``@``)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
