"""How long ``handouts proof`` takes for a whole kit, against one plain WeasyPrint render.

    python benchmarks/proof.py [--kit demo|fresh|both] [--jobs N] [--repeat 5]

Runs ``handouts proof`` (every built-in treatment x languages x layouts x papers x large
print, the proof sheet included) as a fresh process over the demo kit and over a kit fresh
from ``handouts init``, and times, in the same run, a plain one-shot
``weasyprint.HTML(string=...).write_pdf()`` of the demo microneedling leaflet (the HTML
assembled outside the timer; median of ``--repeat``). Prints each whole proof, the
leaflets it made, its time per leaflet and the ratios against the plain render. The target
(issue 15): one kit's proof under 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 180


def plain_render(repeat: int) -> float:
    """Median seconds of a plain WeasyPrint render of the demo microneedling leaflet."""
    import weasyprint

    from handouts.build import assemble_html
    from handouts.config import load_clinic

    clinic = load_clinic()
    base_url = clinic.kit_dir.as_uri() + "/"
    html = assemble_html(["microneedling"], clinic).html
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def handouts_command() -> list[str]:
    found = shutil.which("handouts", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "handouts"]


def run_proof(kit: Path | None, output: Path, jobs: int | None) -> tuple[float, int, int, str]:
    """Seconds, leaflets proofed, problem lines, and the last line ``proof`` printed."""
    command = [*handouts_command(), "proof", "-o", str(output)]
    if kit is not None:
        command += ["--clinic", str(kit)]
    if jobs:
        command += ["--jobs", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"handouts proof failed ({done.returncode}): {done.stderr.strip()}")
    lines = done.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    # Every leaflet of the matrix counts: those made and checked, and those refused because
    # the sheet is too small (each still tried, and said so, on its own line).
    made = re.search(r"Proofed (\d+) leaflet", last)
    cannot = re.search(r"\((\d+) more cannot be made", last)
    leaflets = (int(made[1]) if made else 0) + (int(cannot[1]) if cannot else 0)
    problems = [line for line in lines[:-1] if not line.startswith("Cannot be made: ")]
    return seconds, leaflets, len(problems), last


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kit", choices=("demo", "fresh", "both"), default="both")
    parser.add_argument("--jobs", type=int, help="worker processes (default: one per core)")
    parser.add_argument("--repeat", type=int, default=5, help="plain renders timed")
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="handouts-proof-bench-"))
    os.environ["HANDOUTS_HOME"] = str(work / "home")  # no history or cache of the user's
    print(
        f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        file=sys.stderr,
    )
    print("  measuring the plain WeasyPrint render ...", file=sys.stderr, flush=True)
    plain = plain_render(options.repeat)
    kits: list[tuple[str, Path | None]] = []
    if options.kit in ("demo", "both"):
        kits.append(("demo kit", None))
    if options.kit in ("fresh", "both"):
        fresh = work / "fresh-kit"
        subprocess.run([*handouts_command(), "init", str(fresh)], check=True, capture_output=True)
        kits.append(("fresh kit (handouts init)", fresh))
    rows = []
    for name, kit in kits:
        print(f"  measuring handouts proof, {name} ...", file=sys.stderr, flush=True)
        seconds, leaflets, problems, last = run_proof(kit, work / "proof.pdf", options.jobs)
        rows.append((name, seconds, leaflets, problems, last))
    print(
        f"\nplain WeasyPrint render of the demo leaflet (median of {options.repeat}): "
        f"{plain * 1000:.0f} ms\n"
    )
    print(
        "| kit | whole proof s | leaflets | per leaflet ms | per leaflet / plain | "
        "whole / plain | problems | target |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, seconds, leaflets, problems, _ in rows:
        per = seconds / max(leaflets, 1)
        met = "met" if seconds < TARGET_SECONDS else "NOT met"
        print(
            f"| {name} | {seconds:.1f} | {leaflets} | {per * 1000:.0f} | {per / plain:.2f} | "
            f"{seconds / plain:.0f} | {problems} | under {TARGET_SECONDS} s: {met} |"
        )
    for name, *_, last in rows:
        print(f"\n{name}: {last}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
