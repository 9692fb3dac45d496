"""``handouts approve`` and ``handouts review``: the clinic reads its sections, then signs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from .cli_options import TypedValue, clinic_option
from .readability import MAX_GRADE, MAX_SMOG


@click.command()
@click.argument("sections", nargs=-1)
@click.option("--by", "by", required=True, help="Name of the person who read and approves.")
@clinic_option
def approve(sections: tuple[str, ...], by: str, clinic_dir: Path | None) -> None:
    """Approve SECTIONS (TREATMENT or TREATMENT/SECTION) as read by --by, in every language.

    Also moves clinic.yaml's older 'approved:' lines into approvals.yaml.
    """
    from .approve import approve_sections

    for done in approve_sections(sections, by, clinic_dir):
        languages = ", ".join(done.languages)
        if done.migrated:
            click.echo(f"Migrated {done.key} version {done.version} ({languages}) from clinic.yaml")
        else:
            click.echo(f"Approved {done.key} version {done.version} ({languages}): {done.path}")


@click.command()
@clinic_option
@click.option(
    "--today",
    type=TypedValue("parse_date", "YYYY-MM-DD"),
    hidden=True,
    help="Judge review dates as of this day (for tests and planning).",
)
def review(clinic_dir: Path | None, today: date | None) -> None:
    """List each section to read: new, changed since approved, or due for review."""
    from .review import sections_to_review

    items = sections_to_review(clinic_dir, today)
    if not items:
        click.secho("Nothing to review: every section is approved and up to date.", fg="green")
        return
    for item in items:
        click.secho(f"{item.subject}: {'; '.join(item.reasons)}", bold=True)
        whose = "your kit's own text" if item.in_kit else "built-in text"
        click.echo(f"  text: {item.path} ({whose})")
        for version, score in item.readability:
            flag = "  above target" if score.above_target else ""
            click.echo(
                f"  readability{' of ' + version if version else ''}: grade {score.grade}, "
                f"SMOG {score.smog} (targets {MAX_GRADE:g} and {MAX_SMOG:g}){flag}"
            )
        for line in (item.diff or "").splitlines():
            click.echo(f"    {line}")
    count = f"{len(items)} section{'s' if len(items) != 1 else ''}"
    where = f" --clinic {clinic_dir}" if clinic_dir else ""
    click.echo(f"{count} to review. After reading one: handouts approve KEY --by NAME{where}")
