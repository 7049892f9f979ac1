"""Simulate a world with 10 M declarations (plus its seizure files, trade and truth) on 2 threads, against a
plain numpy baseline that generates the same number of random rows of the same width and writes them to
Parquet in the same chunks.

Each side runs in its own subprocess so that the peak RSS is the generator's own.
Run alone: ``python -m benchmarks.bench_simulate [declarations]``; ``make bench`` calls :func:`run`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DECLARATIONS = 10_000_000
TARGET_S = 60.0
TARGET_RSS_MB = 2048.0
WORKERS = 2
START, END = "2014Q1", "2017Q4"

_SIMULATE = r"""
import dataclasses, json, resource, sys, time
from iprisk.periods import Quarter, quarter_range
from iprisk.simulate import default_scenario, simulate
from iprisk.simulate.consignments import plan_blocks
from iprisk.simulate.latent import build_world

target, out, workers, start, end = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
s = default_scenario()
# Scale the declaration sample (not the world) so that the run writes about `target` declaration rows.
world = build_world(s, quarter_range(Quarter.parse(start), Quarter.parse(end)), 7)
mode = world.lanes["transport_mode"].to_numpy()
base = sum(b.rows * (1 + s.extra_items[mode[b.lane]]) for b in plan_blocks(world, 1.0, 7))  # expected rows
f = target / base
s = dataclasses.replace(s, declaration_sample={k: v * f for k, v in s.declaration_sample.items()})
t0 = time.perf_counter()
r = simulate(s, start, end, 1.0, 7, out, workers=workers)
secs = time.perf_counter() - t0
rss = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024
print(json.dumps({"rows": r.declarations, "seconds": secs, "rss_mb": rss, "cases": r.seizure_cases,
                  "lines": r.seizure_lines}))
"""

_BASELINE = r"""
import json, resource, sys, time
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
rows, out = int(sys.argv[1]), sys.argv[2]
chunk = 131_072
pool = pa.array([f"T{i:07d}" for i in range(400_000)])
codes = pa.array(["NLRTM", "DEHAM", "BEANR", "CNSHA", "FRCDG", "DEFRA", "BEBRU", "NLAMS"])
t0 = time.perf_counter()
writer = None
for start in range(0, rows, chunk):
    n = min(chunk, rows - start)
    rng = np.random.default_rng([7, start])
    cols = {"id": pa.array(np.arange(start, start + n)).cast(pa.string())}
    for k in range(4):
        cols[f"party{k}"] = pool.take(pa.array(rng.integers(0, len(pool), n)))
    for k in range(11):
        cols[f"code{k}"] = codes.take(pa.array(rng.integers(0, len(codes), n)))
    for k in range(5):
        cols[f"num{k}"] = pa.array(rng.random(n))
    cols["date"] = pa.array(np.datetime64("2016-01-01") + rng.integers(0, 90, n), pa.date32())
    cols["flag0"] = pa.array(rng.random(n) < 0.02)
    cols["flag1"] = pa.array(rng.random(n) < 0.01)
    cols["int0"] = pa.array(rng.integers(0, 9, n))
    table = pa.table(cols)
    writer = writer or pq.ParquetWriter(out, table.schema)
    writer.write_table(table)
writer.close()
secs = time.perf_counter() - t0
rss = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024
print(json.dumps({"rows": rows, "seconds": secs, "rss_mb": rss}))
"""


def _child(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, timeout=900
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(out: Path, declarations: int = DECLARATIONS) -> list[dict[str, object]]:
    """Figures of one simulation of ``declarations`` rows next to the numpy baseline."""
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-simulate-", dir=out))
    try:
        sim = _child(_SIMULATE, str(declarations), str(work / "world"), str(WORKERS), START, END)
        base = _child(_BASELINE, str(int(sim["rows"])), str(work / "baseline.parquet"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rate = sim["rows"] / sim["seconds"]
    base_rate = base["rows"] / base["seconds"]
    return [
        {"name": "simulate: declarations written", "value": int(sim["rows"]), "unit": "rows",
         "baseline": int(base["rows"]), "ratio": round(sim["rows"] / base["rows"], 4),
         "target": declarations, "ok": int(sim["rows"]) == declarations},
        {"name": "simulate: wall time (whole world, 2 threads)", "value": round(sim["seconds"], 1),
         "unit": "s",
         "baseline": round(base["seconds"], 1), "ratio": round(sim["seconds"] / base["seconds"], 2),
         "target": TARGET_S, "ok": sim["seconds"] < TARGET_S},
        {"name": "simulate: declarations per second", "value": round(rate), "unit": "rows/s",
         "baseline": round(base_rate), "ratio": round(rate / base_rate, 2),
         "target": round(declarations / TARGET_S), "ok": rate >= declarations / TARGET_S},
        {"name": "simulate: peak RSS", "value": round(sim["rss_mb"]), "unit": "MB",
         "baseline": round(base["rss_mb"]), "ratio": round(sim["rss_mb"] / base["rss_mb"], 2),
         "target": TARGET_RSS_MB, "ok": sim["rss_mb"] < TARGET_RSS_MB},
        {"name": "simulate: seizure cases (scale 1.0, 16 quarters)", "value": int(sim["cases"]),
         "unit": "cases",
         "baseline": None, "ratio": None, "target": None, "ok": None},
    ]  # fmt: skip


if __name__ == "__main__":
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else DECLARATIONS
    for row in run(Path(tempfile.gettempdir()), rows):
        print(row)
