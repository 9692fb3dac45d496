"""``handouts proof``: every leaflet the kit can make, checked, and a proof sheet to look over."""

from __future__ import annotations

from pathlib import Path

import click

from .choices import LAYOUTS, PAPERS
from .cli_options import TypedValue, clinic_option


@click.command()
@clinic_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),  # a folder is refused by atomic.py, in one line
    default=Path("proof.pdf"),
    show_default=True,
    help="Proof sheet to write.",
)
@click.option(
    "--treatment",
    "treatments",
    multiple=True,
    metavar="NAME",
    help="Only this treatment (repeat, or separate with commas; default: all).",
)
@click.option(
    "--layout",
    "layouts",
    multiple=True,
    type=TypedValue("parse_layout", f"[{'|'.join(LAYOUTS)}]"),
    help="Only this layout (repeat for several; default: all).",
)
@click.option(
    "--paper",
    "papers",
    multiple=True,
    type=TypedValue("parse_paper", f"[{'|'.join(PAPERS)}]"),
    help="Only this paper (repeat for several; default: all the layout takes).",
)
@click.option(
    "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core)."
)
@click.pass_context
def proof(
    context: click.Context,
    clinic_dir: Path | None,
    output: Path,
    treatments: tuple[str, ...],
    layouts: tuple[str, ...],
    papers: tuple[str, ...],
    jobs: int | None,
) -> None:
    """Make every leaflet the kit can make and check each: refused, orphan pages, clinic
    details broken inside a word, body text too small, anything outside the page.

    Every treatment, in each of its languages, in every layout and paper, in standard and
    large print; --treatment, --layout and --paper narrow it. Writes a proof sheet (small
    page images, one row per leaflet, problems in red) and exits 1 on any problem.
    """
    from .atomic import save_file
    from .catalogue import treatment_catalogue
    from .cli_reports import progress_bar
    from .inputs import parse_treatments
    from .proof import proof_matrix, run_proof
    from .proof_sheet import render_sheet
    from .workers import interrupt_on_sigterm

    catalogue = treatment_catalogue(clinic_dir)
    known = [entry["name"] for entry in catalogue]
    chosen = [name for value in treatments for name in parse_treatments([value], known)]
    items = proof_matrix(catalogue, chosen, layouts, papers)
    if not items:
        raise click.UsageError("no leaflet to proof: a tri-fold takes A4 or Letter only")
    with interrupt_on_sigterm():
        report = run_proof(clinic_dir, items, jobs, progress_bar)
    for note in report.notes:
        click.secho(f"Warning: {note}", fg="yellow", err=True)
    for line in report.problems:
        click.echo(line)
    for line in report.cannot_be_made:
        click.echo(f"Cannot be made: {line}")
    save_file(output, render_sheet(report))
    made = len(report.results) - len(report.cannot_be_made)
    leaflets = f"{made} leaflet{'s' if made != 1 else ''}"
    if report.cannot_be_made:
        leaflets += f" ({len(report.cannot_be_made)} more cannot be made: the sheet is too small)"
    if report.failed:
        problems = len(report.problems)
        click.secho(
            f"Proofed {leaflets}: {problems} problem{'s' if problems != 1 else ''} in "
            f"{report.failed}. Wrote the proof sheet {output}.",
            fg="red",
        )
        context.exit(1)
    click.secho(f"Proofed {leaflets}: no problem. Wrote the proof sheet {output}.", fg="green")
