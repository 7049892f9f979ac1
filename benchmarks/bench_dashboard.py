"""Benchmark of the dashboard's pages: each page's server-side time (p50 and p95 over ``REQUESTS``
requests, through the node's ASGI app in-process, so no network) beside the JSON API route that returns the
same rows, in the same run; the ratio is page / API.

The node is the demo world's by default: :func:`iprisk.simulate.simulate` with the demo's defaults, every
quarterly file submitted to the node's warehouse, the analysis written to its analysis folder (what
``iprisk demo`` does first), and referrals between the ports received on the node. ``python -m
benchmarks.bench_dashboard --large`` times the pages on the 10 M-line node instead (its warehouse filled from
``bench_analysis``'s Parquet files and analysed, once, cached: :mod:`benchmarks.bench_dashboard_large`), and
``--browser`` adds Playwright's timings (time to first byte, complete page) against ``iprisk serve``.

Before timing, the charts are drawn as the node's warmer draws them when an analysis is written
(:func:`iprisk.web.dashboard.prerender.prerender`, timed apart: what a new analysis costs in the
background). The target: every page answers within 1 s at p95.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

REQUESTS = 20
TARGET_S = 1.0
#: (page, the API route that returns its rows)
PAGES = (
    ("/ui/", "/analysis/trends?transport_mode=&provenance_country=&product_category=&ipr_type=&flow="),
    ("/ui/trends?dimension=product_category&metric=cases",
     "/analysis/trends?reporting_admin=&transport_mode=&provenance_country=&ipr_type=&flow=&metric=cases"),
    ("/ui/signals", "/analysis/signals"),
    ("/ui/lanes", "/analysis/lanes"),
    ("/ui/submissions", "/submissions"),
    ("/ui/profiles", "/profiles"),
    ("/ui/referrals", "/referrals"),
    ("/ui/referrals/kpis", "/referrals/kpis"),
)  # fmt: skip


def _demo_node(folder: Path) -> tuple[Path, Path]:
    """The demo world's warehouse and analysis folder (``iprisk demo``'s first stages)."""
    from iprisk.analysis import run as analyse
    from iprisk.reports import write_analysis
    from iprisk.simulate import simulate
    from iprisk.warehouse import Warehouse

    world = simulate(start="2014Q1", end="2017Q4", scale=0.02, seed=7, out_dir=folder / "world",
                     declarations=False)  # fmt: skip
    warehouse = folder / "warehouse.duckdb"
    with Warehouse.open(warehouse) as wh:
        for path in sorted(world.seizure_files):
            wh.submit(path, user="demo")
        wh.load_trade(world.trade_path)
        write_analysis(analyse(wh), folder / "analysis", charts=False)
    return warehouse, folder / "analysis"


def _referrals(node: Any, count: int = 200) -> None:
    """``count`` warnings from Chinese ports received at European ports over the last weeks."""
    from iprisk.formats.referrals import read_warning
    from iprisk.referrals import incoming
    from iprisk.store import ReferralStore

    store = ReferralStore(node.engine)
    now = node.clock.now()
    pairs = [("CNSHA", "NLRTM"), ("CNNGB", "DEHAM"), ("CNSZX", "BEANR"), ("CNSHA", "DEHAM")]
    for i in range(count):
        sending, receiving = pairs[i % len(pairs)]
        sent = now - timedelta(hours=3 * i + 1)
        document = {"type": "bill_of_lading", "number": f"BL{i:08d}"}
        data = {
            "id": f"00000000-0000-4000-8000-{i:012d}", "sending_port": sending, "receiving_port": receiving,
            "transport_mode": "sea", "transport_documents": [document], "departure_port": sending,
            "arrival_port": receiving, "expected_arrival": "2099-01-01", "hs_code": "640399",
            "description": "Sports shoes", "quantity": 100 + i, "ipr_type": "trademark", "right": "ACME",
            "indicators": ["export_detection"], "reasons": "Earlier seizure at export.",
            "requested_action": "physical_control", "legal_basis": "action_plan",
            "handling_code": "customs_only", "expiry": "2099-02-01",
        }  # fmt: skip
        store.add(*incoming(read_warning(data), sent, sent + timedelta(minutes=5)))


def _timings(call: Callable[[], Any], n: int) -> tuple[float, float, float]:
    """p50 and p95 of the wall time of ``n`` calls and the median CPU time of one (this process' every
    thread: the app's worker included), in seconds; one call first, untimed (imports and first reads). On a
    loaded machine the wall time waits for the cores, the CPU time is the work."""
    call()
    times, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    times.sort()
    return statistics.median(times), times[min(n - 1, round(0.95 * (n - 1)))], statistics.median(cpu)


def node_settings(folder: Path, warehouse: Path, analysis: Path) -> Any:
    """A node in ``folder`` (its database and keys) serving ``warehouse`` and ``analysis``; the charts are
    drawn before timing (:func:`prepare`), so the background warmer is off."""
    from iprisk.settings import Settings

    folder.mkdir(parents=True, exist_ok=True)
    return Settings(
        node="EU", database=f"sqlite:///{folder / 'ops.sqlite'}", key_folder=folder / "keys",
        warehouse=str(warehouse), analysis_folder=analysis, user="bench", dashboard_prerender=False,
    )  # fmt: skip


def prepare(settings: Any) -> tuple[str, dict[str, Any]]:
    """Initialise the node, add a coordinator with a token and 200 referrals, draw the charts; the token and
    the drawing's figures."""
    from iprisk.node import Node, init_node
    from iprisk.web.dashboard.prerender import prerender

    init_node(settings)
    with Node.open(settings) as node:
        node.accounts.add_user("coordinator", "coordinator", "EU", (), by="bench")
        token = node.accounts.create_token("coordinator", days=1, by="bench")[1]
        _referrals(node)
        cpu = time.process_time()
        drawn = prerender(node)
        cpu = time.process_time() - cpu
    row = {
        "name": "charts drawn ahead for a new analysis (every default view, en + zh; background)",
        "value": drawn.seconds, "unit": "s", "cpu_s": cpu, "charts": drawn.drawn + drawn.kept,
    }  # fmt: skip
    return token, row


def measure(
    folder: Path, warehouse: Path | None = None, analysis: Path | None = None
) -> list[dict[str, Any]]:
    """Start a node in ``folder`` serving ``warehouse`` and ``analysis`` (the demo world's when None) and
    time every page."""
    from fastapi.testclient import TestClient

    from iprisk.web import create_app

    if analysis is None or warehouse is None:
        warehouse, analysis = _demo_node(folder)
    settings = node_settings(folder, warehouse, analysis)
    token, drawn = prepare(settings)
    rows: list[dict[str, Any]] = [drawn]
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for page, api in PAGES:
            page_p50, page_p95, page_cpu = _timings(
                lambda p=page: _ok(client.get(p, headers=headers)), REQUESTS
            )
            api_p50, api_p95, api_cpu = _timings(lambda a=api: _ok(client.get(a, headers=headers)), REQUESTS)
            rows.append({
                "name": f"{page.split('?')[0]} p50 (API {api.split('?')[0]} as baseline)", "value": page_p50,
                "unit": "s", "baseline": api_p50, "ratio": page_p50 / api_p50, "cpu_s": round(page_cpu, 4),
                "api_cpu_s": round(api_cpu, 4),
            })  # fmt: skip
            rows.append({
                "name": f"{page.split('?')[0]} p95", "value": page_p95, "unit": "s", "baseline": api_p95,
                "ratio": page_p95 / api_p95, "target": f"< {TARGET_S:g} s", "ok": page_p95 < TARGET_S,
            })  # fmt: skip
    return rows


def _ok(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:200]}")


def run(out: Path) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        return measure(Path(folder))


def main(argv: list[str] | None = None) -> None:
    from benchmarks.bench_dashboard_large import browser_timings, large_node

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="the 10 M-line node (built once under --out)")
    parser.add_argument("--browser", action="store_true", help="add Playwright's timings (iprisk serve)")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="where the cache is kept")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as name:
        folder = Path(name)
        warehouse, analysis = large_node(args.out) if args.large else _demo_node(folder)
        _print(measure(folder / "server-side", warehouse, analysis))
        if args.browser:
            _print(browser_timings(folder / "browser", warehouse, analysis))


def _print(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        extra = {k: v for k, v in row.items() if k not in ("name", "value", "unit", "baseline", "ratio")}
        api = f"API {row['baseline']:7.3f} s  x{row['ratio']:.2f}" if "baseline" in row else ""
        print(f"{row['name']:75} {row['value']:7.3f} s  {api}  {extra}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
