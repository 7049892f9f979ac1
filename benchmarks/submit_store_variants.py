"""What storing a validated 1 M-line batch costs DuckDB, and whether a setting makes it cheaper.

``python -m benchmarks.submit_store_variants [ROWS] [--repeats N]`` (default: the 1,000,000-line file of
``bench_submit``; 3 repeats). The file is read and validated once (``read_seizures``); then each variant
inserts the same canonical Arrow table as ``Warehouse.submit`` does (one transaction, insertion order not
kept) into a fresh warehouse file, or does part of that work, and the variants alternate within each repeat.
CPU time counts every thread (DuckDB's); the figures are medians over the repeats. Variants:

* ``as submit``: what ``insert_lines`` does today;
* ``threads=1``: the same on one DuckDB thread;
* ``compression=<name>``: DuckDB's ``force_compression`` (is compressing the cost?);
* ``scan only``: DuckDB reading every column of the Arrow table, nothing stored (the floor of any insert);
* ``in memory``: the same insert into an in-memory table (no file, no compression).

Not a benchmark (no baseline, no target): the evidence behind the floor named in docs/warehouse.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.bench_submit import ROWS, make_file
from benchmarks.profile_submit import _cpu

_COMPRESSIONS = ("uncompressed", "dictionary", "fsst")


def _insert(con: Any, columns: list[str]) -> None:
    cols = ", ".join(f'"{c}"' for c in columns)
    con.execute("BEGIN TRANSACTION")
    con.execute("SET preserve_insertion_order = false")
    con.execute(
        f'INSERT INTO seizure_lines ({cols}, "quarter", "submission_id") SELECT {cols}, ?, ? FROM batch',
        ["2016Q3", 1],
    )
    con.execute("COMMIT")


def variants(lines: Any, folder: Path) -> dict[str, Callable[[int], None]]:
    """Each variant as ``f(run)``: the timed work on ``lines`` (an Arrow table), files under ``folder``."""
    from iprisk.warehouse import Warehouse

    columns = list(lines.column_names)

    def into_file(setting: str | None) -> Callable[[int], None]:
        def work(run: int) -> None:
            path = folder / f"{abs(hash(setting))}-{run}.duckdb"
            with Warehouse.open(path):
                pass  # the warehouse's tables, created before the clock starts
            con = duckdb.connect(str(path))
            if setting:
                con.execute(setting)
            con.register("batch", lines)
            _insert(con, columns)
            con.close()
            path.unlink()

        return work

    def scan_only(_run: int) -> None:
        con = duckdb.connect()
        con.register("batch", lines)
        con.execute("SELECT " + ", ".join(f'max("{c}")' for c in columns) + " FROM batch").fetchall()
        con.close()

    def in_memory(_run: int) -> None:
        con = duckdb.connect()
        con.register("batch", lines)
        con.execute("CREATE TABLE lines AS SELECT * FROM batch")
        con.close()

    found: dict[str, Callable[[int], None]] = {
        "as submit": into_file(None),
        "threads=1": into_file("SET threads = 1"),
    }
    for name in _COMPRESSIONS:
        found[f"compression={name}"] = into_file(f"SET force_compression = '{name}'")
    found["scan only"] = scan_only
    found["in memory"] = in_memory
    return found


def main(rows: int, repeats: int) -> None:
    from iprisk.formats import read_seizures
    from iprisk.warehouse._submit import canonical_lines

    out = Path("bench-out") / "submit"
    path = make_file(out, rows)
    lines = canonical_lines(read_seizures(path))
    spent: dict[str, list[tuple[float, float]]] = {}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        found = variants(lines, Path(tmp))
        for run in range(repeats):
            names = list(found) if run % 2 == 0 else list(reversed(found))  # alternated
            for name in names:
                wall, cpu = time.perf_counter(), _cpu()
                found[name](run)
                spent.setdefault(name, []).append((time.perf_counter() - wall, _cpu() - cpu))
            loads.append(os.getloadavg()[0])
    print(f"{path.name}: {rows:,} lines; medians of {repeats} alternated runs")
    print(f"load average (1 min) {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores")
    print(f"{'variant':28s} {'wall s':>8s} {'CPU s':>8s} {'CPU min-max':>14s}")
    for name, runs in spent.items():
        cpus = [c for _, c in runs]
        wall = statistics.median(w for w, _ in runs)
        print(f"{name:28s} {wall:8.2f} {statistics.median(cpus):8.2f} {min(cpus):6.2f}-{max(cpus):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=ROWS)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    main(args.rows, args.repeats)
