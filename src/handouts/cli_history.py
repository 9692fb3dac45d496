"""``handouts history``: the leaflets made for the clinic, or (``--audit``) its audit log."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from .cli_options import clinic_option


@click.command()
@clinic_option
@click.option("--patient", help="Only leaflets for patients whose name contains this.")
@click.option(
    "--audit", is_flag=True, help="Show the audit log: who approved or changed what, and when."
)
@click.option("--csv", "as_csv", is_flag=True, help="With --audit: print CSV for a spreadsheet.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def history(
    clinic_dir: Path | None, patient: str | None, audit: bool, as_csv: bool, as_json: bool
) -> None:
    """Show the leaflets made for this clinic, newest first (or, with --audit, the audit log)."""
    from .config import load_clinic

    if as_csv and not audit:
        raise click.UsageError("--csv goes with --audit (the audit log)")
    clinic = load_clinic(clinic_dir)
    if audit:
        _print_audit(clinic, as_csv, as_json)
        return
    from .history import leaflet_history

    records = leaflet_history(clinic, patient)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in records], indent=2, ensure_ascii=False))
        return
    if not records:
        click.echo("No leaflets recorded yet." if not patient else f"No leaflets for {patient!r}.")
        return
    for record in records:
        versions = sorted(set(record.content_versions.values()))
        who = f"  {record.patient}" if record.patient else ""
        when = f" ({record.appointment})" if record.appointment else ""
        click.echo(
            f"{datetime.fromisoformat(record.created).astimezone():%Y-%m-%d %H:%M}  "
            f"{record.channel:<6} "
            f"{'+'.join(record.treatments)} [{record.language}, v{'/'.join(versions)}"
            f"{'' if record.layout == 'leaflet' else ', ' + record.layout}]"
            f"{who}{when}  {record.output or ''}"
        )


def _print_audit(clinic, as_csv: bool, as_json: bool) -> None:
    from .audit import audit_csv, audit_log

    entries = audit_log(clinic)
    if as_csv:
        click.echo(audit_csv(entries), nl=False)
    elif as_json:
        click.echo(json.dumps([asdict(e) for e in entries], indent=2, ensure_ascii=False))
    elif not entries:
        click.echo("Nothing recorded in the audit log yet.")
    for entry in [] if as_csv or as_json else entries:
        change = f"{entry.old or '-'} -> {entry.new or '-'}"
        click.echo(f"{entry.at}  {entry.who}  {entry.action} {entry.subject}: {change}")
