"""``handouts check``: what a clinic must review before its leaflets can be trusted."""

from __future__ import annotations

import difflib
import os
import re
import warnings
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from .check_approvals import check_approval, check_legacy
from .clinic_checks import check_clinic, check_fit
from .clock import today as clock_today
from .config import Clinic, load_clinic
from .content import HTML_COMMENT, STANDARD_BLOCKS, Block, ContentLibrary, Treatment
from .context import render_block
from .errors import ConfigError, HandoutsError
from .markup import image_sources
from .paths import display_path, file_url_path, inside, resource_roots
from .readability import MAX_GRADE, MAX_SMOG, measure_versions

REVIEW_WARNING_DAYS = 60
"""A review due within this many days is a warning."""

SINGLE_BRACES = re.compile(r"(?<!\{)\{[ \t]*(clinic\.\w+)[ \t]*\}+")
"""``{ clinic.phone }`` or ``{clinic.phone}``: meant as a placeholder, printed as written."""

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One thing to fix (error) or look at (warning)."""

    severity: Severity
    subject: str
    """What it is about: "clinic.yaml", a treatment, or "<treatment>/<block>"."""
    problem: str
    file: str | None = None


@dataclass
class CheckReport:
    """Every finding for one clinic kit, and what was checked."""

    clinic: str | None
    findings: list[Finding] = field(default_factory=list)
    treatments: int = 0
    blocks: int = 0

    def add(self, severity: Severity, subject: str, problem: str, path: Path | None = None) -> None:
        self.findings.append(
            Finding(severity, subject, problem, display_path(path) if path else None)
        )

    @property
    def errors(self) -> int:
        return sum(finding.severity == "error" for finding in self.findings)

    @property
    def warnings(self) -> int:
        return sum(finding.severity == "warning" for finding in self.findings)

    def exit_code(self, strict: bool = False) -> int:
        """1 when there are errors (or, with ``strict``, warnings); else 0."""
        return 1 if self.errors or (strict and self.warnings) else 0

    def as_dict(self) -> dict[str, object]:
        return {
            "clinic": self.clinic,
            "treatments": self.treatments,
            "blocks": self.blocks,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [asdict(finding) for finding in self.findings],
        }


def check_kit(
    kit_dir: Path | str | None = None, today: date | None = None, leaflets: bool = True
) -> CheckReport:
    """Check clinic.yaml and every treatment and block the clinic can build; with
    ``leaflets``, also make each treatment's default leaflet and run proof's checks on it."""
    today = today or clock_today()  # HANDOUTS_TODAY, as where leaflets are made
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            clinic = load_clinic(kit_dir)
        except ConfigError as error:
            report = CheckReport(clinic=None)
            for line in error.message.splitlines():
                where, _, problem = line.partition(": ")
                report.add("error", where, problem)
            return report
    report = CheckReport(clinic=clinic.name)
    for warning in caught:
        where, _, problem = str(warning.message).partition(": ")
        report.add("warning", where, problem)
    check_clinic(clinic, report)
    library = ContentLibrary(clinic.kit_dir)
    known_blocks: set[str] = set()
    legacy = 0
    for slug in library.slugs():
        report.treatments += 1
        try:
            treatment = library.treatment(slug)
        except HandoutsError as error:
            report.add("error", slug, error.message)
            continue
        missing = [name for name in STANDARD_BLOCKS if name not in treatment.meta.blocks]
        if missing:
            report.add(
                "warning",
                slug,
                f"has no {', '.join(missing)} section; patients expect every standard section",
                treatment.path / "treatment.yaml",
            )
        for name in treatment.meta.blocks:
            known_blocks.add(f"{slug}/{name}")
            report.blocks += 1
            try:
                block = library.block(treatment, name)
            except HandoutsError as error:
                report.add("error", f"{slug}/{name}", error.message)
                continue
            _check_block(block, clinic, report, today)
            status = check_approval(block, clinic, report)
            legacy += status == "legacy"
            for language in library.languages(treatment)[1:]:
                if translated := _check_translation(
                    library, treatment, block, clinic, language, report
                ):
                    check_approval(translated, clinic, report, status != "new")
    check_legacy(clinic, legacy, report)
    if leaflets:
        check_fit(clinic, library.slugs(), report)
    for key in sorted(set(clinic.approved) - known_blocks):
        guess = difflib.get_close_matches(key, sorted(known_blocks), n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else "check the spelling or remove it"
        report.add(
            "warning", "clinic.yaml", f"approved: {key!r} is not a section of any treatment; {hint}"
        )
    return report


def _check_translation(
    library: ContentLibrary,
    treatment: Treatment,
    english: Block,
    clinic: Clinic,
    language: str,
    report: CheckReport,
) -> Block | None:
    """A translation must be valid and translate the current English version (it, if so).

    Readability is scored for English only: the grade formulas are made for English.
    """
    subject = f"{english.key} ({language})"
    try:
        translated = library.block(treatment, english.name, language)
        if translated.language != language:
            return None
        render_block(translated, clinic.in_language(language))
    except HandoutsError as error:
        report.add("error", subject, error.message)
        return None
    _check_single_braces(translated, subject, report)
    if translated.meta.version != english.meta.version:
        report.add(
            "warning",
            subject,
            f"translates version {translated.meta.version}, but the English text is version "
            f"{english.meta.version}: update the translation, then its version",
            translated.path,
        )
    return translated


def _check_block(block: Block, clinic: Clinic, report: CheckReport, today: date) -> None:
    key, meta = block.key, block.meta
    try:
        rendered = render_block(block, clinic)
    except HandoutsError as error:
        report.add("error", key, error.message)
        return
    _check_single_braces(block, key, report)
    roots = resource_roots(clinic.kit_dir)
    for source in image_sources(rendered.html):
        if source.startswith("file:"):
            path = file_url_path(source)
            if not path.is_file() or not inside(path, roots):
                written = os.path.relpath(path, block.path.parent.resolve())
                report.add(
                    "error",
                    key,
                    f"image {written!r} not found in the kit; add the picture or remove it",
                    block.path,
                )
    if meta.reviewed > today:
        report.add(
            "warning",
            key,
            f"reviewed date {meta.reviewed.isoformat()} is in the future; "
            "use the day the text was reviewed",
            block.path,
        )
    if meta.review_due < today:
        report.add(
            "error",
            key,
            f"review was due on {meta.review_due.isoformat()}: review the "
            "text, then update reviewed, review_due and version",
            block.path,
        )
    elif meta.review_due <= today + timedelta(days=REVIEW_WARNING_DAYS):
        days = (meta.review_due - today).days
        report.add(
            "warning",
            key,
            f"review due on {meta.review_due.isoformat()} (in {days} days)",
            block.path,
        )
    for version, score in measure_versions(block.body, block.short_body):
        if score.above_target:  # the short version, printed on tri-folds and cards, too
            report.add(
                "warning",
                key,
                f"{version + ' ' if version else ''}reads above target: grade {score.grade} "
                f"(target {MAX_GRADE:g} or below), SMOG {score.smog} (target {MAX_SMOG:g} or "
                "below); use shorter sentences and everyday words",
                block.path,
            )


def _check_single_braces(block: Block, subject: str, report: CheckReport) -> None:
    """Warn about placeholders written with one brace each side: they print as written."""
    body = HTML_COMMENT.sub(lambda comment: "\n" * comment.group().count("\n"), block.body)
    for found in SINGLE_BRACES.finditer(body):
        line = block.body_first_line + body.count("\n", 0, found.start())
        report.add(
            "warning",
            subject,
            f"{display_path(block.path)}: line {line}: {found.group()} has single braces, so "
            f"it is printed as written; write {{{{ {found.group(1)} }}}}",
            block.path,
        )
