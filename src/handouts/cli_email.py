"""``handouts email``: send each appointment's letter once, and say what happened."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from .cli_options import TypedValue, clinic_option


@click.command()
@click.argument("appointments", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@clinic_option
@click.option("--send", is_flag=True, help="Send by SMTP (settings under mail: in clinic.yaml).")
@click.option(
    "--outbox",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write .eml files to this folder instead of sending.",
)
@click.option(
    "--due",
    is_flag=True,
    help="Only what is due today: pre-care before the visit, aftercare on the day.",
)
@click.option(
    "--today",
    type=TypedValue("parse_date", "YYYY-MM-DD"),
    help="Treat this day as today.",
)
@click.pass_context
def email(
    context: click.Context,
    appointments: Path,
    clinic_dir: Path | None,
    send: bool,
    outbox: Path | None,
    due: bool,
    today: date | None,
) -> None:
    """Email each appointment's leaflet from APPOINTMENTS (a CSV file), once only."""
    from .mail import run_email

    if send == (outbox is not None):
        raise click.UsageError("choose one of --send or --outbox DIR")
    day = (today or date.today()) if due else None
    report = run_email(appointments, clinic_dir, send, outbox, day)
    if print_email_report(report, outbox):
        context.exit(1)


def print_email_report(report, outbox: Path | None) -> bool:
    """Say what an email run sent or wrote, and every letter not sent; True if any."""
    if outbox is None:
        already = f" ({report.already_sent} sent before)" if report.already_sent else ""
        click.echo(f"Sent {len(report.sent)} email{'s' if len(report.sent) != 1 else ''}{already}.")
    else:
        click.echo(
            f"Wrote {len(report.written)} email{'s' if len(report.written) != 1 else ''} "
            f"to {outbox}."
        )
    for row, reason in report.duplicates:
        click.echo(f"  row {row}: {reason}", err=True)
    if report.problems:
        click.secho(f"{len(report.problems)} could not be sent:", fg="red", err=True)
        for row, reason in report.problems:
            click.echo(f"  {f'row {row}: ' if row else ''}{reason}", err=True)
        by_reason = report.summary_by_reason()
        if len(by_reason) < len(report.problems):
            click.echo("By reason:", err=True)
            for reason, count in by_reason.items():
                click.echo(f"  {count}: {reason}", err=True)
        return True
    return False
