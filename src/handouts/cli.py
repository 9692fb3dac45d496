"""The ``handouts`` command line: parse options, call the library, print one clear line."""

from __future__ import annotations

import json
import sys
import warnings
from datetime import date, time
from pathlib import Path

import click

from .choices import PAPER_NAMES, PAPERS
from .cli_appointments import appointments
from .cli_approve import approve, review
from .cli_email import email
from .cli_history import history
from .cli_options import TypedValue, clinic_option, large_print_option, layout_option
from .cli_proof import proof
from .cli_reports import (
    print_batch_report,
    print_check_report,
    progress_bar,
)
from .errors import HandoutsError, HandoutsWarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.secho(f"Warning: {message}", fg="yellow", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.version_option(package_name="handouts")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Branded, plain-language patient leaflets for your clinic."""
    warnings.showwarning = _show_warning
    warnings.simplefilter("always", HandoutsWarning)


@cli.command("list")
@clinic_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_command(clinic_dir: Path | None, as_json: bool) -> None:
    """List the treatments you can build leaflets for."""
    from .catalogue import treatment_catalogue

    rows = treatment_catalogue(clinic_dir)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max((len(row["name"]) for row in rows), default=0)
    for row in rows:
        languages = ", ".join(row["languages"])
        click.echo(f"{row['name']:<{width}}  {row['title']} ({languages}): {row['summary']}")


@cli.command()
@click.argument("treatments", nargs=-1, required=True)
@clinic_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),  # a folder is refused by atomic.py, in one line
    help="File to write (default: <treatment>.pdf here).",
)
@click.option(
    "--paper",
    type=TypedValue("parse_paper", f"[{'|'.join(PAPERS)}]"),
    default=None,
    help="Paper size (default: the clinic's, usually A4).",
)
@click.option(
    "--html",
    "html_only",
    is_flag=True,
    help="Write the assembled HTML instead of a PDF, for checking templates.",
)
@click.option(
    "--lang",
    "language",
    type=TypedValue("parse_language", "CODE"),
    help="Language of the leaflet, e.g. es (default: the clinic's).",
)
@click.option("--patient", help="Patient's name, for a personal copy.")
@click.option(
    "--date",
    "day",
    type=TypedValue("parse_date", "YYYY-MM-DD"),
    help="Appointment date.",
)
@click.option("--time", "hour", type=TypedValue("parse_time", "HH:MM"), help="Appointment time.")
@click.option("--practitioner", help="Who the patient will see.")
@layout_option
@large_print_option
def build(
    treatments: tuple[str, ...],
    clinic_dir: Path | None,
    output: Path | None,
    paper: str | None,
    html_only: bool,
    language: str | None,
    patient: str | None,
    day: date | None,
    hour: time | None,
    practitioner: str | None,
    layout: str,
    large_print: bool,
) -> None:
    """Build one leaflet for one or more TREATMENTS (several make one combined leaflet).

    With --patient, --date, --time or --practitioner it is a personal copy with a
    "Your appointment" panel.
    """
    from .appointments import Appointment
    from .leaflet import build_handout

    result = build_handout(
        list(treatments),
        clinic_dir=clinic_dir,
        output=output,
        paper=paper,
        html_only=html_only,
        language=language,
        appointment=Appointment(patient, day, hour, practitioner) or None,
        large_print=large_print,
        layout=layout,
    )
    if result.pages is None:
        click.echo(f"Wrote {result.path} (HTML)")
    else:
        pages = "page" if result.pages == 1 else "pages"
        size = PAPER_NAMES[result.paper]
        click.echo(f"Wrote {result.path} ({result.pages} {pages}, {size})")


@cli.command()
@clinic_option
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option(
    "--quick",
    is_flag=True,
    help="Do not make each treatment's leaflet: settings, text, approvals and dates only.",
)
@click.pass_context
@click.option(
    "--today",
    type=TypedValue("parse_date", "YYYY-MM-DD"),
    hidden=True,
    help="Check review dates as of this day (for tests and planning).",
)
def check(
    context: click.Context,
    clinic_dir: Path | None,
    strict: bool,
    as_json: bool,
    quick: bool,
    today: date | None,
) -> None:
    """Check the clinic kit: approvals, review dates, placeholders, pictures, readability,
    and how each treatment's leaflet comes out."""
    from .check import check_kit

    report = check_kit(clinic_dir, today=today, leaflets=not quick)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_check_report(report)
    context.exit(report.exit_code(strict))


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Create a clinic kit in DIRECTORY, ready to edit."""
    from .scaffold import init_kit

    kit = init_kit(directory)
    click.echo(f"Created a clinic kit in {kit}. Next:")
    click.echo(f"  1. Edit {kit / 'clinic.yaml'}: your name, phone, colours and logo.")
    click.echo(f"  2. Run: handouts check --clinic {kit}")
    click.echo(f"  3. Run: handouts build microneedling --clinic {kit}")


@cli.command()
@click.argument("appointments", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@clinic_option
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("leaflets"),
    show_default=True,
    help="Folder for the leaflets.",
)
@click.option(
    "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core)."
)
@layout_option
@large_print_option
@click.pass_context
def batch(
    context: click.Context,
    appointments: Path,
    clinic_dir: Path | None,
    output_dir: Path,
    jobs: int | None,
    layout: str,
    large_print: bool,
) -> None:
    """Make a personal leaflet for every appointment in APPOINTMENTS (a CSV file)."""
    from .batch import run_batch
    from .workers import interrupt_on_sigterm

    with interrupt_on_sigterm():
        report = run_batch(
            appointments, clinic_dir, output_dir, jobs, progress_bar, layout, large_print
        )
    if print_batch_report(report, output_dir):
        context.exit(1)


@cli.command()
@clinic_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but this computer needs HANDOUTS_WEB_TOKEN.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
def serve(clinic_dir: Path | None, host: str, port: int) -> None:
    """Run the reception web app: pick, preview, print and email leaflets in a browser."""
    from .web.server import serve as run_server

    run_server(clinic_dir, host, port, announce=click.echo)


cli.add_command(appointments)
cli.add_command(approve)
cli.add_command(email)
cli.add_command(history)
cli.add_command(review)
cli.add_command(proof)


def main() -> None:
    """Entry point: user errors become one line; anything else too, unless --debug."""
    debug = "--debug" in sys.argv[1:]
    try:
        # Without standalone mode, click returns (rather than raises) ctx.exit()'s code.
        exit_code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:  # HandoutsError and usage errors
        if debug and isinstance(error, HandoutsError):
            raise
        error.show()
        sys.exit(error.exit_code)
    except Exception as error:
        if debug:
            raise
        click.echo(
            f"Error: unexpected {type(error).__name__}: {error} "
            "(run again with --debug for details)",
            err=True,
        )
        sys.exit(1)
    sys.exit(exit_code if isinstance(exit_code, int) else 0)
