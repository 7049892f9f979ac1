"""The 10 M-line node of the dashboard benchmark: a DuckDB warehouse filled from ``bench_analysis``'s
Parquet files (one submission per administration and quarter, as if each had been submitted) and its
analysis folder (``iprisk analyse --out``). Built once and kept under ``bench-out/cache/`` (never timed):
inserting 10 M lines and analysing them takes minutes.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

#: The Parquet files ``bench_analysis`` draws (copy or link them under ``bench-out/cache/``).
LINES = 10_000_000


def parquet_folder(out: Path, n_lines: int = LINES) -> Path:
    from benchmarks.bench_analysis import _DATA_VERSION

    return out / "cache" / f"analysis-v{_DATA_VERSION}-{n_lines}"


def large_node(out: Path, n_lines: int = LINES) -> tuple[Path, Path]:
    """(warehouse, analysis folder) of the ``n_lines`` node, built when missing (``bench_analysis``'s data
    drawn first when its Parquet files are missing too)."""
    folder = out / "cache" / f"dashboard-node-{n_lines}"
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
