"""Benchmark of the dashboard's pages: each page's server-side time (p50 and p95 over ``REQUESTS``
requests, through the node's ASGI app in-process, so no network) beside the JSON API route that returns the
same rows, in the same run; the ratio is page / API.

The node is the demo world's by default: :func:`iprisk.simulate.simulate` with the demo's defaults, every
quarterly file submitted to the node's warehouse, the analysis written to its analysis folder (what
``iprisk demo`` does first), and referrals between the ports received on the node. ``python -m
benchmarks.bench_dashboard --analysis DIR`` times the pages on another analysis folder instead (the output
of ``iprisk analyse --out`` on a large warehouse, e.g. ``bench-out/analysis-duckdb`` of ``bench_analysis``).
The target: every page answers within 1 s at p95.
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


def _timings(call: Callable[[], Any], n: int) -> tuple[float, float]:
    """p50 and p95 of ``n`` calls, in seconds (one call first, untimed: imports and first reads)."""
    call()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[min(n - 1, round(0.95 * (n - 1)))]


def measure(
    folder: Path, analysis: Path | None = None, warehouse: Path | None = None
) -> list[dict[str, Any]]:
    """Start a node in ``folder`` serving ``analysis`` (the demo world's when None) and time every page."""
    from fastapi.testclient import TestClient

    from iprisk.node import init_node
    from iprisk.settings import Settings
    from iprisk.web import create_app

    if analysis is None:
        warehouse, analysis = _demo_node(folder)
    settings = Settings(
        node="EU", database=f"sqlite:///{folder / 'ops.sqlite'}", key_folder=folder / "keys",
        warehouse=str(warehouse or folder / "warehouse.duckdb"), analysis_folder=analysis, user="bench",
    )  # fmt: skip
    init = init_node(settings)
    rows: list[dict[str, Any]] = []
    with TestClient(create_app(settings)) as client:
        node = client.app.state.node  # type: ignore[attr-defined]
        node.accounts.add_user("coordinator", "coordinator", "EU", (), by="bench")
        token = node.accounts.create_token("coordinator", days=1, by="bench")[1]
        _referrals(node)
        headers = {"Authorization": f"Bearer {token}"}
        del init
        for page, api in PAGES:
            page_p50, page_p95 = _timings(lambda p=page: _ok(client.get(p, headers=headers)), REQUESTS)
            api_p50, api_p95 = _timings(lambda a=api: _ok(client.get(a, headers=headers)), REQUESTS)
            rows.append({
                "name": f"{page.split('?')[0]} p50 (API {api.split('?')[0]} as baseline)", "value": page_p50,
                "unit": "s", "baseline": api_p50, "ratio": page_p50 / api_p50,
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analysis", type=Path, help="an iprisk analyse --out folder (default: the demo's)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        rows = measure(Path(folder), args.analysis)
    for row in rows:
        print(f"{row['name']:70} {row['value']:8.3f} s  API {row['baseline']:8.3f} s  x{row['ratio']:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
