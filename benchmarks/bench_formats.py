"""Read + validate 1 M seizure lines (CSV, all rules) against a plain pandas read of the same file.

Run alone: ``python -m benchmarks.bench_formats [rows]``; ``make bench`` calls :func:`run`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ROWS = 1_000_000
TARGET_S = 5.0  # read + validate; the whole read+validate+store target is < 10 s


def make_seizures_csv(path: Path, rows: int = ROWS, seed: int = 0) -> Path:
    """A valid seizures CSV of ``rows`` lines (DE, 2016Q3), built with numpy in a second or two."""
    from iprisk.codes import PRODUCT_CATEGORIES, TRANSPORT_MODES

    rng = np.random.default_rng(seed)
    case = np.arange(rows) // 3
    line = np.arange(rows) % 3 + 1
    days = np.datetime64("2016-07-01") + rng.integers(0, 92, rows).astype("timedelta64[D]")

    def pick(values: list[str]) -> pa.Array:
        return pa.array(np.array(values, dtype=object)[rng.integers(0, len(values), rows)], pa.string())

    table = pa.table(
        {
            "case_id": pa.array(np.char.add("DE-", case.astype(str)).astype(object), pa.string()),
            "line_no": pa.array(line.astype(str).astype(object), pa.string()),
            "reporting_admin": pa.array(["DE"] * rows, pa.string()),
            "office": pick(["DEHAM", "DEBRV", "DEFRA", "DELEJ"]),
            "detention_date": pa.array(days.astype(str).astype(object), pa.string()),
            "flow": pick(["import", "export", "transit"]),
            "transport_mode": pick(list(TRANSPORT_MODES)),
            "provenance_country": pick(["CN", "HK", "TR", "US", "VN"]),
            "origin_country": pick(["CN", "HK", "", "TR"]),
            "destination_country": pick(["DE", "NL", "PL"]),
            "departure_port": pick(["CNSHA", "CNNGB", "", "HKHKG"]),
            "arrival_port": pick(["DEHAM", "NLRTM", ""]),
            "product_category": pick(list(PRODUCT_CATEGORIES)),
            "hs_code": pick(["950300", "6403", "8517120000", ""]),
            "ipr_type": pick(["trademark", "design", "patent", "copyright"]),
            "procedure": pick(["ex_officio", "application"]),
            "articles": pa.array(rng.integers(0, 5000, rows).astype(str).astype(object), pa.string()),
            "retail_value_eur": pa.array(np.round(rng.gamma(2.0, 500.0, rows), 2).astype(str).astype(object)),
            "declared_value_eur": pick(["", "12.5", "100", "0"]),
            "outcome": pick(["destroyed", "destroyed_small_consignment", "court_case", ""]),
            "right_holder_ref": pick(["RH-1", "RH-2", "RH-3", ""]),
        }
    )
    pacsv.write_csv(table, path)
    return path


# The child's own high-water mark. Not getrusage's ru_maxrss: Linux carries it across fork + exec, so a child
# of a big parent (the benchmark runner) would report the parent's size.
PEAK_RSS_MB = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024"


def _peak_rss_gb(path: Path) -> float:
    """Peak RSS of a fresh process reading ``path`` (the whole process: interpreter, imports, data)."""
    code = (
        "import sys; from iprisk.formats import read_seizures; read_seizures(sys.argv[1]); "
        f"print({PEAK_RSS_MB})"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True)
    return float(done.stdout.split()[-1]) / 1000


def run(out: Path, rows: int = ROWS) -> list[dict]:
    import pandas as pd

    from iprisk.formats import read_seizures

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        path = make_seizures_csv(Path(tmp) / "DE_2016Q3.csv", rows)
        size_mb = path.stat().st_size / 1e6
        t0, c0 = time.perf_counter(), time.process_time()
        batch = read_seizures(path)
        ours, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = _peak_rss_gb(path)
        t0, c0 = time.perf_counter(), time.process_time()
        pd.read_csv(path, dtype=str, keep_default_na=False)
        baseline, baseline_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert batch.rows == rows
    return [
        {
            "name": f"read+validate seizures CSV, {rows:,} lines ({size_mb:.0f} MB)",
            "value": round(ours, 2),
            "unit": "s",
            "baseline": round(baseline, 2),
            "ratio": round(ours / baseline, 2),
            "target": TARGET_S,
            "ok": ours < TARGET_S,
        },
        {
            # CPU seconds (all threads): steadier than wall time on a shared machine
            "name": "read+validate CPU time (baseline: pandas read_csv, no validation)",
            "value": round(ours_cpu, 2),
            "unit": "cpu-s",
            "baseline": round(baseline_cpu, 2),
            "ratio": round(ours_cpu / baseline_cpu, 2),
            "target": None,
            "ok": None,
        },
        {
            "name": "peak memory of a process that imports iprisk and reads the file (max RSS)",
            "value": round(peak, 2),
            "unit": "GB",
            "baseline": None,
            "ratio": None,
            "target": 1.5,
            "ok": peak < 1.5,
        },
    ]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    for row in run(Path(tempfile.gettempdir()) / "iprisk-bench", n):
        print(row)
