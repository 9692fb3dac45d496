"""``handouts email``: send each appointment's letter at most once, and say what happened.

``--uncertain`` lists the letters whose outcome is not known; ``--resend ID`` and
``--mark-sent ID`` settle one after a person has checked the mail server's log.
"""

from __future__ import annotations

import shlex
from datetime import date, datetime
from pathlib import Path

import click

from .cli_options import TypedValue, clinic_option


@click.command()
@click.argument(
    "appointments", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
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
@click.option(
    "--uncertain",
    "list_uncertain",
    is_flag=True,
    help="List the letters the mail server may or may not have taken.",
)
@click.option(
    "--resend",
    metavar="MESSAGE-ID",
    help="Send an uncertain or failed letter again, exactly as it was.",
)
@click.option(
    "--mark-sent",
    metavar="MESSAGE-ID",
    help="Record that an uncertain letter did arrive (the mail server's log says so).",
)
@click.pass_context
def email(
    context: click.Context,
    appointments: Path | None,
    clinic_dir: Path | None,
    send: bool,
    outbox: Path | None,
    due: bool,
    today: date | None,
    list_uncertain: bool,
    resend: str | None,
    mark_sent: str | None,
) -> None:
    """Email each appointment's leaflet from APPOINTMENTS (a CSV file), at most once.

    A letter the mail server received but never confirmed is "uncertain": it is never sent
    again by itself. Check the server's log for its Message-ID, then --mark-sent it
    or --resend it.
    """
    chosen = {"--uncertain": list_uncertain, "--resend": resend, "--mark-sent": mark_sent}
    settle = [name for name, given in chosen.items() if given]
    if settle:
        if len(settle) > 1 or appointments or send or outbox or due or today:
            raise click.UsageError(f"{settle[0]} goes alone (with --clinic at most)")
        _settle(clinic_dir, list_uncertain, resend, mark_sent)
        return
    from .mail import run_email

    if appointments is None:
        raise click.UsageError("name the APPOINTMENTS file (a CSV)")
    if send == (outbox is not None):
        raise click.UsageError("choose one of --send or --outbox DIR")
    day = (today or date.today()) if due else None
    report = run_email(appointments, clinic_dir, send, outbox, day)
    if print_email_report(report, outbox, clinic_dir):
        context.exit(1)


def _settle(
    clinic_dir: Path | None, list_uncertain: bool, resend: str | None, mark_sent: str | None
) -> None:
    """List the uncertain letters, or resend one, or mark one sent."""
    from .config import load_clinic
    from .letter_log import uncertain_letters
    from .sending import UncertainLetter, mark_letter_sent, resend_letter

    clinic = load_clinic(clinic_dir)
    if list_uncertain:
        letters = uncertain_letters(clinic)
        click.echo(f"{len(letters) or 'No'} uncertain letter{'s' if len(letters) != 1 else ''}.")
        for letter in letters:
            who = f"{letter.patient} " if letter.patient else ""
            when = datetime.fromisoformat(letter.claimed).astimezone().strftime("%Y-%m-%d %H:%M")
            click.echo(f"  {when} {letter.kind} to {who}<{letter.recipient}>")
            click.echo(f"    Message-ID {letter.message_id}: {letter.reason}")
            _print_commands(letter.message_id, clinic_dir, err=False)
        return
    if mark_sent:
        letter = mark_letter_sent(clinic, mark_sent)
        click.echo(f"Marked {letter.message_id} to {letter.recipient} as sent.")
        return
    try:
        letter = resend_letter(clinic, resend or "")
    except UncertainLetter as error:
        raise click.ClickException(
            f"{error.message_id}: uncertain again: {error.message}; check the mail server's "
            "log before trying again"
        ) from None
    click.echo(f"Sent {letter.message_id} to {letter.recipient} again.")


def _command(option: str, message_id: str, clinic_dir: Path | None) -> str:
    """The command line that settles one letter, ready to copy."""
    words = ["handouts", "email", option, message_id]
    if clinic_dir is not None:
        words += ["--clinic", str(clinic_dir)]
    return shlex.join(words)


def _print_commands(message_id: str, clinic_dir: Path | None, err: bool = True) -> None:
    """How to settle one uncertain letter, once the mail server's log has been read."""
    mark, resend = (
        _command(option, message_id, clinic_dir) for option in ("--mark-sent", "--resend")
    )
    click.echo("    Find this Message-ID in the mail server's log, then:", err=err)
    click.echo(f"    if it arrived:        {mark}", err=err)
    click.echo(f"    if it did not arrive: {resend}", err=err)


def print_email_report(report, outbox: Path | None, clinic_dir: Path | None = None) -> bool:
    """Say what an email run sent or wrote, and every letter not sent; True if any."""
    rows = f"The file had {report.rows} row{'s' if report.rows != 1 else ''}. "
    if outbox is None:
        already = f" ({report.already_sent} sent before)" if report.already_sent else ""
        sent = len(report.sent)
        click.echo(f"{rows}Sent {sent} email{'s' if sent != 1 else ''}{already}.")
    else:
        written = len(report.written)
        click.echo(f"{rows}Wrote {written} email{'s' if written != 1 else ''} to {outbox}.")
    for row, reason in report.duplicates:
        click.echo(f"  line {row}: {reason}", err=True)
    if report.uncertain:
        count = len(report.uncertain)
        if count == 1:
            words = "got it but did not say whether it took it, so it may have arrived; it is"
            itself = "itself"
        else:
            words = (
                "got them but did not say whether it took them, so they may have arrived; they are"
            )
            itself = "themselves"
        click.secho(
            f"{count} uncertain: the mail server {words} never sent again by {itself}:",
            fg="red",
            err=True,
        )
        for letter in report.uncertain:
            earlier = " (left uncertain by an earlier run)" if letter.earlier else ""
            click.echo(f"  line {letter.row}: {letter.recipient}{earlier}", err=True)
            click.echo(f"    Message-ID {letter.message_id}: {letter.reason}", err=True)
            _print_commands(letter.message_id, clinic_dir)
    if report.problems:
        click.secho(f"{len(report.problems)} could not be sent:", fg="red", err=True)
        for row, reason in report.problems:
            click.echo(f"  {f'line {row}: ' if row else ''}{reason}", err=True)
        by_reason = report.summary_by_reason()
        if len(by_reason) < len(report.problems):
            click.echo("By reason:", err=True)
            for reason, count in by_reason.items():
                click.echo(f"  {count}: {reason}", err=True)
    return bool(report.problems or report.uncertain)
