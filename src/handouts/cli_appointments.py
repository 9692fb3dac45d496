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
    """Merge the bookings in FILE (a CSV export, an iCalendar .ics or FHIR JSON file) or at
    an https:// URL into the clinic's appointments; without one, fetch every feed listed
    under appointments.feeds in clinic.yaml.

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


@appointments.command("list")
@click.option("--from", "first_day", type=DAY, help="First day (default: today).")
@click.option("--to", "last_day", type=DAY, help="Last day, included (default: no end).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@clinic_option
def list_command(
    first_day: date | None, last_day: date | None, as_json: bool, clinic_dir: Path | None
) -> None:
    """List the appointments from --from (default today) to --to, by start."""
    from .appointment_store import stored_appointments
    from .clock import today
    from .config import load_clinic

    if first_day is not None and last_day is not None and last_day < first_day:
        raise click.UsageError("--to is before --from")
    found = stored_appointments(load_clinic(clinic_dir), first_day or today(), last_day)
    if as_json:
        rows = [{**asdict(row), "treatments": list(row.treatments)} for row in found]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("No appointments in that time.")
    for row in found:
        when = row.start.replace("T", " ").ljust(16)
        extra = ", ".join(value for value in (row.practitioner, row.language) if value)
        email = f" <{row.email}>" if row.email else ""
        click.echo(
            f"{when}  {row.status:<11}  {row.patient}{email}  {'+'.join(row.treatments)}"
            f"{f' ({extra})' if extra else ''}  [{row.id}]"
        )
