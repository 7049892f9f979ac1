"""Rule engine throughput: 1 M declarations x 50 active profiles in one DuckDB query vs row-by-row Python.

The engine time is the best of two runs. The baseline evaluates every profile on every declaration in a Python
loop (what a naive implementation does); it runs on a 20,000-row sample and is scaled to 1 M rows (running it
on all rows takes minutes). Both give the same matches on the sample. Also times
:func:`iprisk.selection.select` on the same 1 M rows.

Run alone: ``python -m benchmarks.bench_profiles [rows]``; ``make bench`` calls :func:`run`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROWS = 1_000_000
PROFILES = 50
SAMPLE = 20_000
TARGET_S = 5.0

_HS = ["640411", "640419", "610910", "851712", "950300", "420222", "330300", "300490", "870899", "620342"]
_COUNTRIES = ["CN", "HK", "VN", "TR", "US", "KH", "IN", "MY"]
_MODES = ["post", "express", "air", "sea", "road", "rail"]
_OFFICES = ["NLRTM", "DEHAM", "BEANR", "FRLEH", "ITGOA"]


def make_declarations(rows: int = ROWS, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)

    def pick(values: list[str]) -> pa.Array:
        return pa.array(np.array(values, dtype=object)[rng.integers(0, len(values), rows)], pa.string())

    days = np.datetime64("2021-01-01") + rng.integers(0, 365, rows).astype("timedelta64[D]")
    return pa.table(
        {
            "declaration_id": pa.array(np.char.add("D", np.arange(rows).astype(str)).astype(object)),
            "item_no": pa.array(np.ones(rows, dtype=np.int64)),
            "date": pa.array(days).cast(pa.date32()),
            "flow": pick(["import", "import", "import", "export"]),
            "office": pick(_OFFICES),
            "transport_mode": pick(_MODES),
            "hs_code": pick(_HS),
            "origin_country": pick(_COUNTRIES),
            "departure_country": pick(_COUNTRIES),
            "destination_country": pick(["NL", "DE", "BE", "FR", "IT"]),
            "trader_id": pa.array(np.char.add("T", rng.integers(0, 5000, rows).astype(str)).astype(object)),
            "value": pa.array(rng.lognormal(4, 1.2, rows)),
            "net_mass_kg": pa.array(rng.lognormal(1, 1, rows)),
        }
    )


def make_profiles(n: int = PROFILES, seed: int = 1) -> list[Any]:
    from iprisk.profiles import Profile

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        crit: dict[str, Any] = {
            "hs_prefixes": sorted({str(rng.choice(_HS))[: int(rng.choice([2, 4, 6]))] for _ in range(2)}),
            "origin_countries": sorted(rng.choice(_COUNTRIES, 2, replace=False).tolist()),
        }
        if i % 3 == 0:
            crit["transport_modes"] = [str(rng.choice(_MODES))]
        if i % 5 == 0:
            crit["value_per_kg"] = {"max": round(float(rng.uniform(1, 50)), 1)}
        if i % 7 == 0:
            crit["trader_ids"] = [f"T{t}" for t in rng.integers(0, 5000, 25)]
        if i % 11 == 0:
            crit["product_categories"] = ["shoes", "clothing"]
        out.append(
            Profile(
                id=f"BENCH-{i:02d}",
                status="active",
                title=f"benchmark profile {i}",
                owner="NL",
                scope={"offices": ["NLRTM", "DEHAM"]} if i % 4 == 0 else {},
                criteria=crit,
                risk_level=int(rng.integers(1, 6)),
                mandatory=i % 10 == 0,
                valid_from=date(2021, 1 + i % 6, 1),
                valid_to=None if i % 2 else date(2021, 12, 31),
            )
        )
    return out


def row_by_row(rows: list[dict[str, Any]], profiles: list[Any]) -> list[list[str]]:
    """The naive baseline: every profile tested on every declaration in Python."""
    from iprisk.codes import category_for_hs

    ordered = sorted(profiles, key=lambda p: p.id)
    result = []
    for r in rows:
        ids = []
        for p in ordered:
            c = p.criteria
            if r["flow"] != p.scope.flow or not p.is_valid_on(r["date"]):
                continue
            if p.scope.offices and r["office"] not in p.scope.offices:
                continue
            if c.hs_prefixes and not any(r["hs_code"].startswith(x) for x in c.hs_prefixes):
                continue
            if c.origin_countries and r["origin_country"] not in c.origin_countries:
                continue
            if c.transport_modes and r["transport_mode"] not in c.transport_modes:
                continue
            if c.trader_ids and r["trader_id"] not in c.trader_ids:
                continue
            if c.product_categories and category_for_hs(r["hs_code"]) not in c.product_categories:
                continue
            if c.value_per_kg is not None:
                vpk = r["value"] / r["net_mass_kg"] if r["net_mass_kg"] else None
                if not c.value_per_kg.contains(vpk):
                    continue
            ids.append(p.id)
        result.append(ids)
    return result


def run(out: Path, rows: int = ROWS) -> list[dict]:
    from iprisk.profiles import evaluate
    from iprisk.selection import select

    out.mkdir(parents=True, exist_ok=True)
    table = make_declarations(rows)
    profiles = make_profiles()
    evaluate(table.slice(0, 1000), profiles)  # warm up (imports, first DuckDB connection)
    timings = []
    for _ in range(2):  # best of two: the machine is shared, the slower run measures the neighbours
        t0, c0 = time.perf_counter(), time.process_time()
        result = evaluate(table, profiles)
        timings.append((time.perf_counter() - t0, time.process_time() - c0))
    ours, ours_cpu = min(timings)
    assert result.num_rows == rows
    matched_share = float(np.mean(result.column("max_risk_level").to_numpy() > 0))

    sample = table.slice(0, min(SAMPLE, rows)).to_pylist()
    t0 = time.perf_counter()
    reference = row_by_row(sample, profiles)
    baseline = (time.perf_counter() - t0) * rows / len(sample)
    agree = result.column("matched_profiles").slice(0, len(sample)).to_pylist() == reference

    scores = np.random.default_rng(2).random(rows)
    t0 = time.perf_counter()
    selection = select(table, scores, result, capacity=0.05, exploration=0.05, seed=0)
    sel_s = time.perf_counter() - t0
    return [
        {
            "name": f"rule engine: {rows:,} declarations x {len(profiles)} profiles, {matched_share:.0%} hit",
            "value": round(ours, 2),
            "unit": "s",
            "baseline": round(baseline, 1),
            "ratio": round(ours / baseline, 4),
            "target": TARGET_S,
            "ok": ours < TARGET_S,
        },
        {
            "name": "rule engine CPU time (all threads)",
            "value": round(ours_cpu, 2),
            "unit": "cpu-s",
            "baseline": None,
            "ratio": None,
            "target": None,
            "ok": None,
        },
        {
            "name": f"engine matches = row-by-row Python matches on the first {len(sample):,} rows",
            "value": int(agree),
            "unit": "bool",
            "baseline": None,
            "ratio": None,
            "target": 1,
            "ok": agree,
        },
        {
            "name": f"select(): 5 % capacity per office and day, 5 % exploration, {rows:,} declarations",
            "value": round(sel_s, 2),
            "unit": "s",
            "baseline": None,
            "ratio": None,
            "target": None,
            "ok": None,
        },
        {
            "name": "select(): declarations selected (some must be)",
            "value": int(selection["selected"].sum()),
            "unit": "declarations",
            "baseline": None,
            "ratio": None,
            "target": 1,
            "ok": bool(selection["selected"].any()),
        },
    ]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    for row in run(Path(tempfile.gettempdir()) / "iprisk-bench", n):
        print(row)
