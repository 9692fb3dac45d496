"""How fast handouts is, against a plain WeasyPrint render of the same leaflet, in one run.

    python benchmarks/run.py [--rows 200] [--memory-rows 1000] [--repeat 7] [--previews 20]

Prints per-copy median and p90 for: (a) a naive baseline, a fresh
``weasyprint.HTML(string=...).write_pdf()`` per personal copy in one process;
(b) ``handouts batch`` with ``--jobs 1`` and with the default jobs; (c) the web app's
second request for a cached non-personal leaflet; (d) cold ``handouts list``, ``check``
and ``build``, beside cold ``python -c "import weasyprint"``; (e) the web app's personal
preview page under a real waitress server, from the first request after the workers have
prepared. Then the ratios the targets are stated in, and the peak memory of a whole
``handouts batch`` process tree.
Needs the test extras (``pip install ".[test]"``) and psutil for the memory figure.
"""

from __future__ import annotations

import argparse
import errno
import http.cookiejar
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

TREATMENT = "microneedling"
FIRST_NAMES = ["Amira", "Bo", "Chloé", "Dmitri", "Eilidh", "Farah", "Giulia", "Hamza", "Ines"]
LAST_NAMES = ["Haddad", "Chan", "Dubois", "Ivanov", "MacLeod", "Khan", "Rossi", "Ali", "Costa"]


def rows(count: int) -> list[list[str]]:
    """``count`` appointment rows for the same leaflet, each for another patient."""
    start = date(2026, 12, 1)
    return [
        [
            f"{FIRST_NAMES[index % 9]} {LAST_NAMES[index // 9 % 9]} {index}",
            "",
            TREATMENT,
            (start + timedelta(days=index % 60)).isoformat(),
            f"{9 + index % 8:02d}:{15 * (index % 4):02d}",
            "Dr Priya Shah",
            "",
        ]
        for index in range(count)
    ]


def write_csv(path: Path, count: int) -> Path:
    header = "patient_name,email,treatment,date,time,practitioner,language"
    path.write_text("\n".join([header, *(",".join(row) for row in rows(count))]) + "\n")
    return path


def summary(seconds: list[float]) -> tuple[float, float]:
    """Median and 90th percentile, in milliseconds."""
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p90 * 1000


def naive_baseline(count: int) -> list[float]:
    """(a) One process; each personal copy rendered by plain WeasyPrint from scratch."""
    import weasyprint

    from handouts.appointments import Appointment
    from handouts.build import assemble_html
    from handouts.config import load_clinic

    clinic = load_clinic()
    base_url = clinic.kit_dir.as_uri() + "/"
    times = []
    for name, _, _, day, hour, practitioner, _ in rows(count):
        appointment = Appointment(
            name, date.fromisoformat(day), time_of(hour), practitioner=practitioner
        )
        html = assemble_html([TREATMENT], clinic, appointment=appointment).html
        started = time.perf_counter()
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()
        times.append(time.perf_counter() - started)
    return times


def time_of(text: str):
    from datetime import time as clock

    return clock.fromisoformat(text)


WINDOW = 50
"""Batch copies are timed in runs of this many: workers hand copies back in groups."""


def batch_per_copy(csv_path: Path, jobs: int | None, folder: Path) -> tuple[list[float], float]:
    """(b) ``run_batch``: per-copy times over runs of WINDOW copies, and the total.

    Each figure is the time from one finished copy (or the start) to the copy WINDOW
    later, divided by WINDOW; the first runs include starting the workers and rendering
    the shared leaflets, so they show in the p90.
    """
    from handouts.batch import run_batch

    finished: list[float] = []

    def clock(results: Iterator, count: int) -> Iterator:
        for result in results:
            finished.append(time.perf_counter())
            yield result

    started = time.perf_counter()
    report = run_batch(csv_path, output_dir=folder, jobs=jobs, progress=clock)
    total = time.perf_counter() - started
    assert not report.problems, report.problems[:3]
    times = [started, *finished]
    window = min(WINDOW, len(finished))
    per_copy = [
        (times[index + window] - times[index]) / window for index in range(len(times) - window)
    ]
    return per_copy, total


def cached_web_request(repeat: int) -> list[float]:
    """(c) The web app's second and later requests for the same non-personal leaflet."""
    from handouts.web import create_app

    with tempfile.TemporaryDirectory() as cache:
        app = create_app(cache_dir=Path(cache), workers=1)
        client = app.test_client()
        try:
            first = client.get(f"/api/leaflet.pdf?treatment={TREATMENT}")
            assert first.status_code == 200
            times = []
            for _ in range(repeat * 5):
                started = time.perf_counter()
                response = client.get(f"/api/leaflet.pdf?treatment={TREATMENT}")
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
        finally:
            app.extensions["handouts"].maker.close()
    return times


PREVIEW_PATIENTS = [
    "Bo Li",
    "Chloé Dubois",
    "Amira Haddad",
    "Siobhán Ní Bhriain",
    "Zoë Ng",
    "Dmitri Ivanov",
    "María José Fernández-Castañeda",
    "Björn Ångström",
    "Eilidh MacLeod",
    "Anne-Marie Charlotte Beaumont-Delacroix",
    "Farah Khan",
    "Giulia Rossi",
    "François Lefèvre",
    "Hamza Ali",
    "Inês Gonçalves da Costa",
    "Jo",
    "Kaitlyn O'Donoghue-Fitzgerald",
    "Léa Müller",
    "Noor Rahman",
    "Ólafur Þórsson",
    "Renée Zoé Clémence Saint-Exupéry",
]
"""The personal previews' patients: the first one after start, then the others."""
PREPARE_TIMEOUT = 120.0


def personal_web_previews(count: int) -> tuple[float, float, list[float]]:
    """(e) The reception app's personal preview, under a real waitress server.

    Starts the app fresh (its own cache folder, the temporary data folder), starts its
    workers and waits until they have prepared the kit's leaflets for stamping. Each
    preview is timed from the form's POST /preview, through the 303 redirect to GET
    /leaflets/<id>, to the last of the page images that page links to. Returns the
    preparing time, the first preview's time, and the ``count`` later previews' times.
    """
    import waitress

    from handouts.config import load_clinic
    from handouts.web import create_app

    clinic = load_clinic()
    with tempfile.TemporaryDirectory() as cache:
        app = create_app(cache_dir=Path(cache))
        maker = app.extensions["handouts"].maker
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)

        def serve() -> None:
            try:
                server.run()
            except OSError as error:  # the socket closed under the loop at the end
                if error.errno != errno.EBADF:
                    raise

        try:
            started = time.perf_counter()
            maker.start()
            while not maker.prepared:
                if time.perf_counter() - started > PREPARE_TIMEOUT:
                    raise SystemExit(
                        f"the web app's workers did not prepare in {PREPARE_TIMEOUT:.0f} s"
                    )
                time.sleep(0.05)
            preparing = time.perf_counter() - started
            print(f"    workers prepared in {preparing:.1f} s", file=sys.stderr, flush=True)
            threading.Thread(target=serve, daemon=True).start()
            base = f"http://127.0.0.1:{server.effective_port}"
            browser = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )
            with browser.open(base + "/", timeout=60) as response:
                form_page = response.read().decode()
            token = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)
            times = []
            for index in range(count + 1):
                patient = PREVIEW_PATIENTS[index % len(PREVIEW_PATIENTS)]
                form = {
                    "csrf_token": token,
                    "treatment": TREATMENT,
                    "lang": clinic.language,
                    "paper": clinic.paper,
                    "layout": "leaflet",
                    "patient": patient if index < len(PREVIEW_PATIENTS) else f"{patient} {index}",
                    "date": (date(2026, 12, 1) + timedelta(days=index % 60)).isoformat(),
                    "time": f"{9 + index % 8:02d}:{15 * (index % 4):02d}",
                    "practitioner": "Dr Priya Shah",
                }
                body = urllib.parse.urlencode(form).encode()
                began = time.perf_counter()
                # urllib follows the 303 to GET /leaflets/<id>, as a browser does
                with browser.open(base + "/preview", data=body, timeout=120) as response:
                    page = response.read().decode()
                    page_url = response.url
                links = re.findall(r'src="(/leaflets/[^"]+/page-\d+\.png)"', page)
                images = list(dict.fromkeys(links))
                sizes = []
                for image in images:
                    with browser.open(base + image, timeout=60) as response:
                        sizes.append(len(response.read()))
                times.append(time.perf_counter() - began)
                if "/leaflets/" not in page_url or not images or not all(sizes):
                    raise SystemExit(f"preview for {patient!r} did not come back: {page_url}")
        finally:
            deadline = time.perf_counter() + 5
            while server.active_channels and time.perf_counter() < deadline:
                time.sleep(0.05)  # let the last response's thread finish before closing
            server.close()
            maker.close()
    return preparing, times[0], times[1:]


def cold(command: list[str], repeat: int, cwd: Path) -> list[float]:
    """(d) A fresh process each time, as someone at a terminal would run it."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def peak_tree_memory(command: list[str], cwd: Path) -> float:
    """Peak resident memory of a command and all its child processes together, in MB."""
    import psutil

    process = psutil.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(member.memory_info().rss for member in tree))
        except psutil.Error:
            pass
        time.sleep(0.05)
    if process.returncode:
        raise SystemExit(f"batch for the memory figure failed: {process.stderr.read()[-500:]}")
    return peak / 1_000_000


def handouts_command() -> list[str]:
    found = shutil.which("handouts", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "handouts"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200, help="personal copies timed (N)")
    parser.add_argument(
        "--memory-rows", type=int, default=1000, help="rows for the memory figure (0: skip)"
    )
    parser.add_argument("--repeat", type=int, default=7, help="runs of each cold command")
    parser.add_argument(
        "--previews", type=int, default=20, help="personal web previews after the first"
    )
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="handouts-bench-"))
    os.environ["HANDOUTS_HOME"] = str(work / "home")  # no history or cache of the user's
    csv_path = write_csv(work / "appointments.csv", options.rows)
    handouts = handouts_command()
    results: dict[str, tuple[float, float | None]] = {}

    def measure(label: str, run: Callable[[], list[float]]) -> None:
        print(f"  measuring {label} ...", file=sys.stderr, flush=True)
        results[label] = summary(run())

    measure("(a) naive WeasyPrint, per copy", lambda: naive_baseline(options.rows))
    totals = {}
    for jobs, label in (
        (1, "(b) batch --jobs 1, per copy"),
        (None, "(b) batch default jobs, per copy"),
    ):

        def run_batch_once(jobs=jobs, label=label) -> list[float]:
            gaps, totals[label] = batch_per_copy(csv_path, jobs, work / f"out-{jobs}")
            return gaps

        measure(label, run_batch_once)
    measure("(c) web app, cached leaflet", lambda: cached_web_request(options.repeat))
    measure(
        "(d) import weasyprint, cold",
        lambda: cold([sys.executable, "-c", "import weasyprint"], options.repeat, work),
    )
    measure("(d) handouts list, cold", lambda: cold([*handouts, "list"], options.repeat, work))
    measure("(d) handouts check, cold", lambda: cold([*handouts, "check"], options.repeat, work))
    measure(
        "(d) handouts build, cold",
        lambda: cold(
            [*handouts, "build", TREATMENT, "-o", str(work / "b.pdf")], options.repeat, work
        ),
    )
    print("  measuring (e) web personal previews ...", file=sys.stderr, flush=True)
    preparing, first_preview, later_previews = personal_web_previews(options.previews)
    results["(e) web personal preview, 1st"] = (first_preview * 1000, None)
    results[f"(e) web personal preview, next {options.previews}"] = summary(later_previews)
    memory = None
    if options.memory_rows:
        print("  measuring batch memory ...", file=sys.stderr, flush=True)
        memory_csv = write_csv(work / "memory.csv", options.memory_rows)
        memory = peak_tree_memory(
            [*handouts, "batch", str(memory_csv), "-o", str(work / "memory-out")], work
        )

    print(f"\nhandouts benchmarks: {TREATMENT}, {options.rows} personal copies")
    machine = f"{platform.platform()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(f"\n{'measure':<36} {'median ms':>10} {'p90 ms':>10}")
    for label, (median, p90) in results.items():
        print(f"{label:<36} {median:>10.1f} {'' if p90 is None else f'{p90:.1f}':>10}")
    for label, total in totals.items():
        print(f"{label.replace(', per copy', ', whole run'):<36} {total * 1000:>10.0f}")
    print(f"{'(e) web app start until prepared':<36} {preparing * 1000:>10.0f}")

    baseline = results["(a) naive WeasyPrint, per copy"][0]
    weasy = results["(d) import weasyprint, cold"][0]
    checks = [
        (
            "batch default jobs / naive",
            results["(b) batch default jobs, per copy"][0] / baseline,
            "<= 1/10 (aim 1/40)",
            1 / 10,
        ),
        (
            "batch --jobs 1 / naive",
            results["(b) batch --jobs 1, per copy"][0] / baseline,
            "(no target)",
            None,
        ),
        (
            "cached web leaflet / naive",
            results["(c) web app, cached leaflet"][0] / baseline,
            "<= 1/20",
            1 / 20,
        ),
        (
            "web personal preview median / naive",
            results[f"(e) web personal preview, next {options.previews}"][0] / baseline,
            "<= 1/2",
            1 / 2,
        ),
        (
            "web personal preview 1st / naive",
            results["(e) web personal preview, 1st"][0] / baseline,
            "(no target)",
            None,
        ),
        (
            "cold list / cold import weasyprint",
            results["(d) handouts list, cold"][0] / weasy,
            "< 1/3",
            1 / 3,
        ),
    ]
    print(f"\n{'ratio':<36} {'value':>10}  target")
    for label, value, target, limit in checks:
        verdict = "" if limit is None else ("  met" if value <= limit else "  NOT MET")
        print(f"{label:<36} {value:>10.3f}  {target}{verdict}")
    if memory is not None:
        verdict = "met" if memory < 400 else "NOT MET"
        print(
            f"{'batch of ' + str(options.memory_rows) + ' rows, peak MB':<36} "
            f"{memory:>10.0f}  < 400  {verdict}"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
