"""What the ``handouts`` commands print: summaries, problems by line, a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def print_check_report(report) -> None:
    """What `handouts check` found, one line a finding, and the count."""
    if report.clinic is None:
        click.echo("The clinic kit cannot be used until clinic.yaml is fixed:")
    else:
        treatments = f"{report.treatments} treatment{'s' if report.treatments != 1 else ''}"
        click.echo(f"Checked {report.clinic}: {treatments}, {report.blocks} sections.")
    width = min(max((len(finding.subject) for finding in report.findings), default=0), 32)
    for finding in report.findings:
        label = click.style(
            f"{finding.severity.upper():<8}",
            fg="red" if finding.severity == "error" else "yellow",
            bold=True,
        )
        first, *more = finding.problem.split("\n")  # a diff: indented under its finding
        click.echo(f"{label} {finding.subject:<{width}}  {first}")
        for line in more:
            click.echo(f"    {line}")
    if not report.findings:
        click.secho("Everything is in order: nothing to review.", fg="green")
        return
    errors = f"{report.errors} error{'s' if report.errors != 1 else ''}"
    warnings_ = f"{report.warnings} warning{'s' if report.warnings != 1 else ''}"
    click.echo(f"{errors}, {warnings_}.")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def batch_summary(report, output_dir: Path) -> str:
    """``The file had 45 rows. Made 40 leaflets in leaflets (38 stamped, 2 rendered in
    full), 3 already up to date, 2 skipped.``

    Every row of the file is made, up to date, a duplicate (made once) or skipped.
    """
    made = len(report.made)
    duplicates = sum(problem.duplicate for problem in report.problems)
    skipped = len(report.problems) - duplicates
    rows = made + len(report.up_to_date) + len(report.problems)
    parts = [f"Made {_plural(made, 'leaflet')} in {output_dir}"]
    if made:
        parts[0] += f" ({report.stamped} stamped, {made - report.stamped} rendered in full)"
    if report.up_to_date:
        parts.append(f"{len(report.up_to_date)} already up to date")
    if duplicates:
        parts.append(
            "1 duplicate of an earlier row"
            if duplicates == 1
            else f"{duplicates} duplicates of earlier rows"
        )
    if skipped:
        parts.append(f"{skipped} skipped")
    return f"The file had {_plural(rows, 'row')}. {', '.join(parts)}."


def print_batch_report(report, output_dir: Path) -> bool:
    """Say what a batch run made and what it skipped, by line; True when rows were skipped."""
    for note in report.notes:
        click.secho(f"Warning: {note}", fg="yellow", err=True)
    click.echo(batch_summary(report, output_dir))
    for problem in report.problems:
        if problem.duplicate:
            click.echo(f"  {problem.where}: {problem.reason}", err=True)
    if report.failed:
        click.secho(f"{_plural(len(report.failed), 'row')} skipped:", fg="red", err=True)
        for problem in report.failed:
            click.echo(f"  {problem.where}: {problem.reason}", err=True)
        return True
    return False


def progress_bar(results, count: int):
    """A progress bar on a terminal; nothing in a pipe or a log."""
    if not sys.stderr.isatty():
        yield from results
        return
    with click.progressbar(results, length=count, label="Making leaflets", file=sys.stderr) as bar:
        yield from bar
