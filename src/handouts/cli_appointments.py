"""``handouts appointments``: import a booking export into the store, list what it holds."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import click

from .cli_options import TypedValue, clinic_option
from .paths import display_path

SHOWN_PROBLEMS = 20
"""Rejected rows printed on the terminal; the report file has every one."""
DAY = TypedValue("parse_date", "YYYY-MM-DD")


@click.group()
def appointments() -> None:
    """The clinic's appointments: import a booking export, list what is booked."""


@appointments.command("import")
@click.argument("source", metavar="[FILE|URL]", required=False)
@clinic_option
@click.pass_context
def import_command(context: click.Context, source: str | None, clinic_dir: Path | None) -> None:
    """Merge the bookings of [FILE|URL] (a CSV export, an iCalendar .ics or FHIR JSON file,
    or an https:// address) into the clinic's appointments; with neither, fetch every feed
    listed under appointments.feeds in clinic.yaml.

    The same booking again changes nothing; a new start reschedules it; a cancelled
    status cancels it. Columns, event fields and service names: appointments: in clinic.yaml.
    """
    from .appointment_import import import_appointments, is_address
    from .config import load_clinic
    from .errors import HandoutsError

    clinic = load_clinic(clinic_dir)
    if source is None:
        sources = list(clinic.appointments.feeds)
        if not sources:
            raise click.UsageError(
                "give a FILE or https:// URL, or list feeds under appointments.feeds in clinic.yaml"
            )
    elif is_address(source):
        sources = [source]
    else:
        path = Path(source)
        if not path.is_file():
            raise click.BadParameter(f"{source!r} is not a file", param_hint="'[FILE|URL]'")
        sources = [path]
    failed = False
    for given in sources:
        try:
            result = import_appointments(given, clinic)
        except HandoutsError as error:
            if len(sources) == 1:
                raise
            click.echo(f"Error: {error.message}", err=True)
            failed = True
            continue
        failed = _show(result, given) or failed
    if failed:
        context.exit(1)


def _show(result, source: str | Path) -> bool:
    """Print what an import did; whether anything was rejected."""
    from .booking_values import places
    from .feed_fetch import shown_url

    shown = display_path(source) if isinstance(source, Path) else shown_url(source)
    click.echo(f"{shown}: {result.summary()}. Report: {display_path(result.report)}")
    unknown = result.rows.unknown_services
    for service, wheres in unknown.items():
        click.echo(f"  unknown service {service!r}: {places(wheres)}", err=True)
    said = {where for wheres in unknown.values() for where in wheres}
    others = [(where, reason) for where, reason in result.rows.rejected if where not in said]
    for where, reason in others[:SHOWN_PROBLEMS]:
        click.echo(f"  {where}: {reason}", err=True)
    if len(others) > SHOWN_PROBLEMS:
        click.echo(f"  ... {len(others) - SHOWN_PROBLEMS} more in the report", err=True)
    if unknown:
        click.echo(
            "  Name each unknown service's treatment under appointments.treatments in "
            "clinic.yaml, then import again.",
            err=True,
        )
    return bool(result.rows.rejected)


def _listing_options(from_help: str):
    """--from, --to, --today, --json and --clinic, shared by list and letters."""

    def apply(command):
        for option in reversed(
            [
                click.option("--from", "first_day", type=DAY, help=from_help),
                click.option("--to", "last_day", type=DAY, help="Last day, included."),
                click.option(
                    "--today",
                    type=DAY,
                    help="Judge letters as if this were today (default: $HANDOUTS_TODAY).",
                ),
                click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts."),
                clinic_option,
            ]
        ):
            command = option(command)
        return command

    return apply


@appointments.command("list")
@_listing_options("First day (default: today).")
def list_command(
    first_day: date | None,
    last_day: date | None,
    today: date | None,
    as_json: bool,
    clinic_dir: Path | None,
) -> None:
    """List the appointments from --from (default today) to --to, by start, each with its
    next letter (from its treatments' letters: timelines; nothing is sent)."""
    from .appointment_store import stored_appointments
    from .config import load_clinic
    from .letter_plans import clinic_now, planned_letters
    from .letter_schedule import next_letter

    if first_day is not None and last_day is not None and last_day < first_day:
        raise click.UsageError("--to is before --from")
    clinic = load_clinic(clinic_dir)
    now = clinic_now(clinic, today)
    found = stored_appointments(clinic, first_day or now.date(), last_day)
    plans = planned_letters(clinic, found, now)
    if as_json:
        rows = [
            {
                **asdict(row),
                "treatments": list(row.treatments),
                "letters": [letter.as_dict() for letter in plans[row.id]],
            }
            for row in found
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("No appointments in that time.")
    for row in found:
        when = row.start.replace("T", " ").ljust(16)
        extra = ", ".join(value for value in (row.practitioner, row.language) if value)
        email = f" <{row.email}>" if row.email else ""
        coming = next_letter(plans[row.id])
        letter = f"  next: {coming.name} {_moment(coming.due)}" if coming else ""
        click.echo(
            f"{when}  {row.status:<11}  {row.patient}{email}  {'+'.join(row.treatments)}"
            f"{f' ({extra})' if extra else ''}  [{row.id}]{letter}"
        )


@appointments.command("letters")
@_listing_options("Appointments from this day (default: all).")
def letters_command(
    first_day: date | None,
    last_day: date | None,
    today: date | None,
    as_json: bool,
    clinic_dir: Path | None,
) -> None:
    """List every planned letter of the stored appointments, by due moment, with its state:
    waiting, due, missed (its window passed: skipped, never sent late) or cancelled.

    Planned only: handouts email sends pre-care and aftercare letters as before.
    """
    from .appointment_store import stored_appointments
    from .config import load_clinic
    from .letter_plans import clinic_now, planned_letters

    clinic = load_clinic(clinic_dir)
    now = clinic_now(clinic, today)
    found = {row.id: row for row in stored_appointments(clinic, first_day, last_day)}
    plans = planned_letters(clinic, list(found.values()), now)
    every = sorted(
        (letter for letters in plans.values() for letter in letters),
        key=lambda letter: (letter.due, letter.appointment_id, letter.name),
    )
    if as_json:
        rows = [{"appointment": item.appointment_id, **item.as_dict()} for item in every]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not every:
        click.echo("No letters planned.")
    for item in every:
        row = found[item.appointment_id]
        click.echo(
            f"{_moment(item.due)}  {item.state:<9}  {item.name:<12}  {row.patient}  "
            f"{'+'.join(row.treatments)}  ({item.language})  [{row.id}]"
        )


def _moment(moment) -> str:
    """``2026-12-03 09:00`` in the clinic's zone."""
    return f"{moment:%Y-%m-%d %H:%M}"
