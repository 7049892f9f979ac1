"""The 10 M-line node of the dashboard benchmark: a DuckDB warehouse filled from ``bench_analysis``'s
Parquet files (one submission per administration and quarter, as if each had been submitted) and its
analysis folder (``iprisk analyse --out``). Built once and kept under ``bench-out/cache/`` (never timed):
inserting 10 M lines and analysing them takes minutes.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: The Parquet files ``bench_analysis`` draws (copy or link them under ``bench-out/cache/``).
LINES = 10_000_000


def parquet_folder(out: Path, n_lines: int = LINES) -> Path:
    from benchmarks.bench_analysis import _DATA_VERSION

    return out / "cache" / f"analysis-v{_DATA_VERSION}-{n_lines}"


def large_node(out: Path, n_lines: int = LINES) -> tuple[Path, Path]:
    """(warehouse, analysis folder) of the ``n_lines`` node, built when missing (``bench_analysis``'s data
    drawn first when its Parquet files are missing too)."""
    folder = out.resolve() / "cache" / f"dashboard-node-{n_lines}"  # absolute: iprisk serve runs elsewhere
    warehouse, analysis = folder / "warehouse.duckdb", folder / "analysis"
    if (folder / "complete").exists():
        return warehouse, analysis
    source = parquet_folder(out, n_lines)
    if not (source / "seizures.parquet").exists():
        from benchmarks.bench_analysis import _data

        _data(out, n_lines)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    _fill(warehouse, source)
    print(f"warehouse of {n_lines:,} lines built in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    _analyse(warehouse, analysis)
    print(f"analysis written in {time.perf_counter() - started:.0f} s", flush=True)
    (folder / "complete").touch()
    return warehouse, analysis


def _fill(warehouse: Path, source: Path) -> None:
    """The lines as the warehouse stores a submission: the canonical columns (the ones the benchmark does
    not draw empty), ``quarter`` and the ``submission_id`` of their (administration, quarter)."""
    import pyarrow.dataset as ds

    from iprisk.warehouse import Warehouse
    from iprisk.warehouse._schema import SEIZURE_LINES, SUBMISSIONS, seizure_lines_schema

    # the warehouse's connection reads no file itself (DuckDB's file access is off): Arrow reads them
    lines = ds.dataset(source / "seizures.parquet")
    with Warehouse.open(warehouse) as wh:
        duck = wh._writer("benchmark fill")
        duck.register("drawn_lines", lines)
        drawn = set(lines.schema.names)
        at = datetime(2024, 1, 1, tzinfo=UTC)
        duck.execute("BEGIN TRANSACTION")
        duck.execute(
            f'INSERT INTO "{SUBMISSIONS}" SELECT row_number() OVER (ORDER BY reporting_admin, quarter), '
            "reporting_admin, quarter, 1, 'current', count(*), md5(reporting_admin || quarter), 'bench', ?, "
            "NULL, 'bench' FROM drawn_lines GROUP BY reporting_admin, quarter",
            [at],
        )
        names = [f.name for f in seizure_lines_schema() if f.name != "submission_id"]
        picked = ", ".join(f's."{n}"' if n in drawn else f'NULL AS "{n}"' for n in names)
        columns = ", ".join(f'"{n}"' for n in names)
        duck.execute(
            f'INSERT INTO "{SEIZURE_LINES}" ({columns}, submission_id) SELECT {picked}, l.submission_id '
            f'FROM drawn_lines s JOIN "{SUBMISSIONS}" l USING (reporting_admin, quarter)'
        )
        duck.execute("COMMIT")
        wh.load_trade(source / "trade.parquet")


def _analyse(warehouse: Path, analysis: Path) -> None:
    from iprisk.analysis import run
    from iprisk.reports import write_analysis
    from iprisk.warehouse import Warehouse

    with Warehouse.open(warehouse, read_only=True) as wh:
        write_analysis(run(wh), analysis, charts=False)


#: Page loads per page (after one untimed) in the browser.
BROWSER_LOADS = 5
_NAVIGATION = """() => { const n = performance.getEntriesByType('navigation')[0];
                        return [n.responseStart - n.startTime, n.loadEventEnd - n.startTime]; }"""


def browser_timings(folder: Path, warehouse: Path, analysis: Path) -> list[dict[str, Any]]:
    """Playwright's timings of every page and of its API route, loaded in Chromium from ``iprisk serve``
    (a child process on a loopback port): time to first byte and to the load event (the complete page,
    its style sheet included), median of ``BROWSER_LOADS`` loads; the ratio is the page's to the API's."""
    from playwright.sync_api import sync_playwright

    from benchmarks.bench_dashboard import PAGES, node_settings, prepare

    settings = node_settings(folder, warehouse, analysis)
    token, _ = prepare(settings)
    env = {
        "IPRISK_NODE": "EU", "IPRISK_DATABASE": settings.database,
        "IPRISK_KEY_FOLDER": str(settings.key_folder), "IPRISK_WAREHOUSE": str(warehouse),
        "IPRISK_ANALYSIS_FOLDER": str(analysis),
        "IPRISK_DASHBOARD_PRERENDER": "false",
    }  # fmt: skip
    rows: list[dict[str, Any]] = []
    with _served(env, folder) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
        page = context.new_page()

        def loads(path: str) -> tuple[float, float]:
            page.goto(url + path)  # untimed: the server's first read
            timings = []
            for _ in range(BROWSER_LOADS):
                answer = page.goto(url + path, wait_until="load")
                if answer is None or answer.status != 200:
                    raise RuntimeError(f"{path}: {answer.status if answer else 'no answer'}")
                timings.append(page.evaluate(_NAVIGATION))
            first_byte = statistics.median(t[0] for t in timings) / 1000
            return first_byte, statistics.median(t[1] for t in timings) / 1000

        for ui, api in PAGES:
            page_ttfb, page_load = loads(ui)
            api_ttfb, api_load = loads(api)
            rows.append({
                "name": f"browser {ui.split('?')[0]} complete page (API {api.split('?')[0]} as baseline)",
                "value": page_load, "unit": "s", "baseline": api_load, "ratio": page_load / api_load,
                "ttfb": page_ttfb, "api_ttfb": api_ttfb, "ok": page_load < 1.0,
            })  # fmt: skip
        browser.close()
    return rows


@contextmanager
def _served(env: dict[str, str], cwd: Path) -> Iterator[str]:
    """``iprisk serve`` in a child process on a free loopback port, once ``/health`` answers; then stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "iprisk", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with (cwd / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, env={**os.environ, **env}, cwd=cwd, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a loaded machine takes minutes to import and start
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"iprisk serve did not start: {(cwd / 'serve.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(60)


def run(out: Path) -> list[dict[str, Any]]:
    """``python -m benchmarks dashboard_large``: every page on the 10 M-line node, server-side and (when
    Chromium is installed) in the browser, beside its API route."""
    import tempfile

    from benchmarks.bench_dashboard import measure

    warehouse, analysis = large_node(out)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-large-") as name:
        rows = measure(Path(name) / "server-side", warehouse, analysis)
        if Path("/usr/bin/chromium").exists():
            rows += browser_timings(Path(name) / "browser", warehouse, analysis)
    return rows
