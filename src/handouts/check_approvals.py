"""What ``handouts check`` says about approvals: new sections, changed text, legacy lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .approvals import approval_state, changed_since
from .config import Clinic
from .content import Block
from .paths import display_path

if TYPE_CHECKING:
    from .check import CheckReport


def approve_command(clinic: Clinic, target: str = "") -> str:
    """``handouts approve TARGET --by NAME --clinic DIR``, as the clinic would type it."""
    where = f" --clinic {display_path(clinic.kit_dir)}" if clinic.kit_dir else ""
    return f"handouts approve {target + ' ' if target else ''}--by NAME{where}"


def check_approval(block: Block, clinic: Clinic, report: CheckReport, english: bool = True) -> str:
    """Report ``block``'s approval when it needs the clinic; its status (``approvals``).

    A translation that is simply not approved is reported only when its English text is
    (``english``): a new kit would otherwise list every section once per language.
    """
    state = approval_state(clinic, block)
    language = block.language
    subject = block.key if language == "en" else f"{block.key} ({language})"
    command = approve_command(clinic, block.key)
    if state.status == "changed":
        report.add("warning", subject, changed_since(state.approval, block), block.path)
    elif state.status == "new" and block.key in clinic.approved and language == "en":
        report.add(
            "warning",
            subject,
            f"you approved version {clinic.approved[block.key]}, the text is now version "
            f"{block.meta.version}: read {display_path(block.path)}, then run '{command}'",
            block.path,
        )
    elif state.status == "new" and (language == "en" or english):
        what = "translation " if language != "en" else ""
        report.add(
            "warning",
            subject,
            f"{what}not approved by your clinic: read {display_path(block.path)}, "
            f"then run '{command}'",
            block.path,
        )
    return state.status


def check_legacy(clinic: Clinic, legacy: int, report: CheckReport) -> None:
    """One warning for every clinic.yaml ``approved:`` line still counted by version only."""
    if legacy:
        sections = f"{legacy} section{'s are' if legacy != 1 else ' is'}"
        report.add(
            "warning",
            "clinic.yaml",
            f"approved: {sections} approved by version only (a legacy approval, without a "
            f"text hash, so a changed text would still pass); run '{approve_command(clinic)}' "
            "to record them in approvals.yaml",
        )
