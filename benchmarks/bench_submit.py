"""Submit 1 M seizure lines into a fresh DuckDB warehouse, against a plain pandas + DuckDB load of the file.

Ours: ``Warehouse.submit(path)`` = read + validate every rule + store atomically with a log row.
Baseline: ``pandas.read_csv`` + ``CREATE TABLE ... AS SELECT * FROM df`` into a fresh DuckDB file, no
validation. Each runs in a fresh process, so that peak memory (max RSS, the whole process) is per run; times
are of the work itself, after the imports, CPU time (every thread) beside wall time. Each side runs
``REPEATS`` times, alternated, and every figure is a median: one run on a shared machine says as much about
the load of that minute as about the code.

Run alone: ``python -m benchmarks submit`` (or ``python -m benchmarks.bench_submit [rows]``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROWS = 1_000_000
TARGET_S = 10.0
TARGET_MB = 1500.0
#: Runs of each side, alternated; figures are medians (a shared machine's load moves from minute to minute).
REPEATS = 3
#: Submit (every rule checked) in at most this fraction of the plain read + insert's time (issue 15, §3).
TARGET_RATIO = 0.5
ROOT = Path(__file__).resolve().parents[1]

# Each child reports its own figures: time of the work after the imports, CPU time, peak RSS (KiB on Linux).
_MEASURE = """
import json, resource, sys, time
t0 = time.perf_counter()
{imports}
t1, c1 = time.perf_counter(), time.process_time()
{work}
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({{{extra}"import_s": t1 - t0, "seconds": t2 - t1, "cpu_s": c2 - c1, "rows": rows,
    "peak_mb": int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024}}))
"""

# Warehouse.submit(path) is read_seizures(path) + storing the batch; the two steps are timed apart so the
# figures show where the time goes (the sum is what ``wh.submit(path)`` costs).
OURS = _MEASURE.format(
    imports="from iprisk.formats import read_seizures\nfrom iprisk.warehouse import Warehouse",
    work=(
        "batch = read_seizures(sys.argv[1])\n"
        "t_read, c_read = time.perf_counter() - t1, time.process_time() - c1\n"
        "with Warehouse.open(sys.argv[2]) as wh:\n"
        "    result = wh.submit(batch)\n"
        "rows = result.rows\n"
        "assert result.status == 'stored', result"
    ),
    extra='"read_s": t_read, "read_cpu_s": c_read, ',
)

BASELINE = _MEASURE.format(
    extra='"read_s": t_read, "read_cpu_s": c_read, ',
    imports="import duckdb, pandas as pd",
    work=(
        "df = pd.read_csv(sys.argv[1])\n"
        "t_read, c_read = time.perf_counter() - t1, time.process_time() - c1\n"
        "con = duckdb.connect(sys.argv[2])\n"
        "con.execute('CREATE TABLE seizure_lines AS SELECT * FROM df')\n"
        "rows = con.execute('SELECT count(*) FROM seizure_lines').fetchone()[0]\n"
        "con.close()"
    ),
)


def make_file(out: Path, rows: int = ROWS) -> Path:
    """The valid seizures CSV (DE, 2016Q3), generated once into ``out`` (vectorised, numpy + pyarrow)."""
    from benchmarks.bench_formats import make_seizures_csv

    path = out / f"seizures_DE_2016Q3_{rows}.csv"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        make_seizures_csv(tmp, rows)
        tmp.rename(path)
    return path


def _measure(code: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if proc.returncode:
        raise RuntimeError(f"benchmark child failed: {proc.stderr.strip()[-2000:]}")
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def _row(name: str, value: float, unit: str, baseline: float | None, target: float | None) -> dict[str, Any]:
    return {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 2),
        "ratio": round(value / baseline, 2) if baseline else None,
        "target": target,
        "ok": None if target is None else value < target,
    }


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs of one side."""
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def run(out: Path, rows: int = ROWS) -> list[dict[str, Any]]:
    path = make_file(out, rows)
    size_mb = path.stat().st_size / 1e6
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "base": []}
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        for i in range(REPEATS):
            # alternated, so that neither side always runs first into the machine's load of the moment
            for side in ("ours", "base") if i % 2 == 0 else ("base", "ours"):
                code = OURS if side == "ours" else BASELINE
                runs[side].append(_measure(code, str(path), str(Path(tmp) / f"{side}{i}.duckdb")))
    ours, base = _median(runs["ours"]), _median(runs["base"])
    assert ours["rows"] == base["rows"] == rows, (ours, base)
    pairs = sorted(o["seconds"] / b["seconds"] for o, b in zip(runs["ours"], runs["base"], strict=True))
    what = f"{rows:,} lines, {size_mb:.0f} MB CSV"
    return [
        _row(
            f"submit (read+validate+store), {what}: wall time",
            ours["seconds"],
            "s",
            base["seconds"],
            TARGET_S,
        ),
        {
            "name": (
                f"submit wall time / plain pandas read + DuckDB insert wall time (medians of {REPEATS} "
                f"alternated runs; per pair {pairs[0]:.2f} to {pairs[-1]:.2f})"
            ),
            "value": round(ours["seconds"] / base["seconds"], 3),
            "unit": "x",
            "baseline": round(base["seconds"], 2),
            "ratio": round(ours["seconds"] / base["seconds"], 3),
            "target": TARGET_RATIO,
            "ok": ours["seconds"] / base["seconds"] <= TARGET_RATIO,
        },
        _row(
            "submit: CPU time, all threads (steadier on a shared machine)",
            ours["cpu_s"],
            "cpu-s",
            base["cpu_s"],
            None,
        ),
        {
            "name": "submit CPU time / plain pandas read + DuckDB insert CPU time (medians)",
            "value": round(ours["cpu_s"] / base["cpu_s"], 3),
            "unit": "x",
            "baseline": round(base["cpu_s"], 2),
            "ratio": round(ours["cpu_s"] / base["cpu_s"], 3),
            "target": None,
            "ok": None,
        },
        _row(
            "submit: of the wall time, read + validate (read_seizures); baseline: pandas read_csv",
            ours["read_s"],
            "s",
            base["read_s"],
            None,
        ),
        _row(
            "submit: of the CPU time, read + validate; baseline: pandas read_csv",
            ours["read_cpu_s"],
            "cpu-s",
            base["read_cpu_s"],
            None,
        ),
        _row(
            "submit: of the wall time, storing (one transaction); baseline: DuckDB insert of the frame",
            ours["seconds"] - ours["read_s"],
            "s",
            base["seconds"] - base["read_s"],
            None,
        ),
        {
            # The floor of the ratio: storing the lines is work the baseline does too (the same rows into a
            # DuckDB file); what reading and every rule may take is the target minus this.
            "name": "submit: storing alone / the whole baseline's wall time (the ratio's floor)",
            "value": round((ours["seconds"] - ours["read_s"]) / base["seconds"], 3),
            "unit": "x",
            "baseline": round(base["seconds"], 2),
            "ratio": round((ours["seconds"] - ours["read_s"]) / base["seconds"], 3),
            "target": None,
            "ok": None,
        },
        _row(
            "submit: peak memory of the process (max RSS)", ours["peak_mb"], "MB", base["peak_mb"], TARGET_MB
        ),
        _row(
            "submit: process start-up (imports), not in the times above",
            ours["import_s"],
            "s",
            base["import_s"],
            None,
        ),
    ]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    for r in run(Path("bench-out") / "submit", n):
        print(r)
