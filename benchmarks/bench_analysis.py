"""Benchmark of the joint analysis: the full ``iprisk analyse`` over 10 million seizure lines (16 quarters).

Side by side in one run:

- DuckDB (the default engine): the full analysis (trends, signals, concentration, lanes, mirror, propensity,
  displacement, charts and summary.md written to a folder);
- the same trends and signals on DuckDB and in plain pandas (the same aggregates computed with ``groupby``,
  then the same statistics), the baseline the engine is measured against (target: 10x);
- PySpark ``local[2]``: the same full analysis on the same data (skipped when pyspark or Java is missing),
  its signals compared with DuckDB's as sets.

Every time is given as wall time and as CPU time of the process (all its threads: DuckDB's, not a Spark
JVM's), since the machine may be shared. Each stage prints a line on stderr as it ends (its name, its wall
and CPU seconds, and the elapsed totals of the part it belongs to), for iprisk and for the pandas baseline:
a 10 M-line run takes tens of minutes on a loaded machine.

The data is drawn here (numpy -> Arrow -> Parquet; not part of the timings; kept under ``bench-out/cache/``
for the next run) so that the benchmark does not depend on the simulator: 10 M lines in ~7 M cases over
~20,000 segment cells with seasonality and negative-binomial noise. Set ``IPRISK_BENCH_LINES`` (the
``bench_lines`` setting) to run a smaller size. ``python -m benchmarks.bench_analysis OUT --side=duckdb``
(or ``--side=pandas``) times one side of trends + signals alone, for profiling (the ratio is the side by
side run's).
"""

from __future__ import annotations

import importlib
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from iprisk.analysis.run import Engine
from iprisk.formats import TRADE_SCHEMA
from iprisk.settings import get_settings

#: Trade of offices only: no port columns (lanes get no traffic).
_OFFICE_TRADE_COLUMNS = [n for n in TRADE_SCHEMA.names if n not in ("departure_port", "arrival_port")]

TARGET_S = 30.0
#: Trends + signals at least this many times faster than plain pandas (issue 15, section 3).
TARGET_PANDAS_RATIO = 10.0
N_QUARTERS = 16

_DIMS = {
    "reporting_admin": ["DE", "NL", "BE", "FR", "IT", "ES", "PL", "CN"],
    "transport_mode": [
        "post",
        "express",
        "air",
        "sea",
        "road",
        "rail",
        "passenger",
        "other",
        "inland_waterway",
    ],
    "provenance_country": [
        "CN",
        "HK",
        "TR",
        "VN",
        "IN",
        "AE",
        "TH",
        "MY",
        "SG",
        "US",
        "ID",
        "PK",
        "MA",
        "EG",
        "KR",
        "TW",
        "BD",
        "UA",
        "RU",
        "BR",
    ],
    "product_category": [
        "clothing",
        "shoes",
        "toys",
        "personal_accessories",
        "mobile_phones",
        "electronics",
        "body_care",
        "medicines",
        "sporting_articles",
        "labels_packaging",
        "foodstuffs",
        "tobacco",
        "media",
        "games",
        "vehicle_parts",
        "other",
    ],
    "ipr_type": [
        "trademark",
        "design",
        "copyright",
        "patent",
        "utility_model",
        "geographical_indication",
        "plant_variety",
        "supplementary_protection_certificate",
        "topography",
    ],
}


def _zipf(n: int, s: float = 1.1) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


def make_data(path: Path, n_lines: int = 10_000_000, seed: int = 0) -> dict[str, Any]:
    """Write ``n_lines`` seizure lines (canonical columns used by the analysis, plus ``quarter``) to Parquet,
    and a matching trade table next to it; return sizes."""
    rng = np.random.default_rng(seed)
    n_cells = 20_000
    cell = {d: rng.choice(len(v), n_cells, p=_zipf(len(v))) for d, v in _DIMS.items()}
    cell["office"] = cell["reporting_admin"] * 3 + rng.choice(3, n_cells, p=[0.6, 0.3, 0.1])
    offices = [f"{a}{x}" for a in _DIMS["reporting_admin"] for x in ("AAA", "BBB", "CCC")]
    level = np.exp(rng.normal(0, 1.3, n_cells))
    season = np.array([0.9, 0.95, 1.0, 1.15])[np.arange(N_QUARTERS) % 4]
    mean = level[:, None] * season[None, :]
    mean *= (n_lines / 1.4) / mean.sum()
    a = 0.05
    counts = rng.negative_binomial(1 / a, 1 / (1 + a * mean))
    ci, qi = np.nonzero(counts)
    reps = counts[ci, qi]
    case_cell, case_q = np.repeat(ci, reps), np.repeat(qi, reps)
    n_cases = case_cell.size
    per_case = 1 + rng.poisson(0.4, n_cases)
    line_case = np.repeat(np.arange(n_cases), per_case)
    lc = case_cell[line_case]
    quarters = [f"{2018 + i // 4}Q{i % 4 + 1}" for i in range(N_QUARTERS)]
    cn_ports = ["CNSHA", "CNSZX", "CNNGB", "CNTAO"]

    def col(values: list[str], idx: np.ndarray) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), pa.array(values)).cast(
            pa.string()
        )

    admin_idx = cell["reporting_admin"][lc]
    flow = np.where(np.asarray(_DIMS["reporting_admin"])[admin_idx] == "CN", 1, 0)
    dep = rng.integers(0, len(cn_ports), n_cases)[line_case]
    table = pa.table(
        {
            "quarter": col(quarters, case_q[line_case]),
            "case_id": pc.cast(pa.array(line_case), pa.string()),
            "line_no": pa.array(np.ones(line_case.size, dtype=np.int64)),
            "reporting_admin": col(_DIMS["reporting_admin"], admin_idx),
            "office": col(offices, cell["office"][lc]),
            "flow": col(["import", "export"], flow),
            "transport_mode": col(_DIMS["transport_mode"], cell["transport_mode"][lc]),
            "provenance_country": col(_DIMS["provenance_country"], cell["provenance_country"][lc]),
            "departure_port": col(cn_ports, dep),
            "arrival_port": col(offices, cell["office"][lc]),
            "product_category": col(_DIMS["product_category"], cell["product_category"][lc]),
            "hs_code": col(["9503", "6403", "6109", "8517", "4202"], cell["product_category"][lc] % 5),
            "ipr_type": col(_DIMS["ipr_type"], cell["ipr_type"][lc]),
            "articles": pa.array(np.maximum(1, rng.lognormal(2, 1.5, line_case.size)).astype(np.int64)),
            "retail_value_eur": pa.array(rng.lognormal(5, 1.2, line_case.size)),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)
    rows = []
    for qx in quarters:
        for k, office in enumerate(offices):
            admin = _DIMS["reporting_admin"][k // 3]
            for ch, cat in (("95", "toys"), ("64", "shoes"), ("61", "clothing"), ("85", "electronics")):
                for prov in _DIMS["provenance_country"][:5]:
                    rows.append(
                        (
                            qx,
                            admin,
                            "import",
                            office,
                            "sea",
                            prov,
                            admin,
                            ch,
                            cat,
                            int(rng.integers(100, 10_000)),
                            float(rng.uniform(1e5, 1e8)),
                        )
                    )
    trade = pd.DataFrame(rows, columns=_OFFICE_TRADE_COLUMNS)
    trade.to_parquet(path.with_name("trade.parquet"), index=False)
    return {"lines": table.num_rows, "cases": n_cases}


def _pandas_trends_and_signals(path: Path, progress: Progress) -> pd.DataFrame:
    """The same trends and signals with pandas ``groupby`` for the aggregates (statistics shared): the
    segment counts ``count_segments`` makes in the engine (the total, the 42 combinations, the fine cells,
    every dimension at once), then the same tests. Returns the signals."""
    from benchmarks._pandas_shape import shape
    from iprisk.analysis._common import SIGNAL_DIMENSIONS
    from iprisk.analysis._segments import combos
    from iprisk.analysis.run import TREND_CUTS
    from iprisk.analysis.signals import signals_from_counts
    from iprisk.analysis.trends import _trend_table
    from iprisk.lanes import lane_keys

    # Categoricals: the memory-sane way to hold 10 M rows of codes in pandas; the case key as a group number.
    df = pq.read_table(path).to_pandas(strings_to_categorical=True)
    progress("read Parquet")
    df["key"] = df.groupby(["reporting_admin", "case_id"], observed=True, sort=False).ngroup()
    progress("case key")
    for cut in TREND_CUTS:
        agg = (
            df.groupby([*cut, "quarter"], observed=True)
            .agg(
                cases=("key", "nunique"),
                articles=("articles", "sum"),
                retail_value=("retail_value_eur", "sum"),
            )
            .reset_index()
        )
        for m in ("cases", "articles", "retail_value"):
            _trend_table(agg, list(cut), m, None, None)
        progress(f"trends by {', '.join(cut) or 'total'}")
    dims = list(SIGNAL_DIMENSIONS)
    base = df[["key", "quarter", *dims]].drop_duplicates()
    cs = combos(dims)
    parts = []
    # 0 the total, 1..len(cs) the combinations, len(cs) + 2 every dimension at once (as ``count_segments``)
    for i, combo in [*enumerate([(), *cs]), (len(cs) + 2, tuple(dims))]:
        g = base.groupby([*combo, "quarter"], observed=True)["key"].nunique().reset_index(name="n")
        g["combo"] = i
        parts.append(g)
    progress(f"signals: cases of {len(cs) + 2} segment groupings")
    # The finest cells (every dimension and the route), in lines: what the dispersion model reads.
    route = lane_keys(df["departure_port"], df["arrival_port"])
    fine = df.groupby([*dims, route.rename("route"), "quarter"], observed=True, dropna=False)
    fine = fine.size().reset_index(name="n")
    fine["combo"] = len(cs) + 1
    parts.append(fine)
    progress("signals: lines of the fine cells")
    counts = shape(pd.concat(parts, ignore_index=True), dims, cs)
    progress("signals: shape the counts")
    found = signals_from_counts(counts, metric="cases", fdr=0.05)
    progress("signals: tests and report")
    return found


def _cpu() -> float:
    """CPU seconds of this process, every thread (DuckDB's included; not a Spark JVM's)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


class Progress:
    """Says on stderr that a stage of ``part`` ended: its wall and CPU seconds (since the previous stage, or
    given) and the part's elapsed totals, so that a long run shows where it is."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.start = self.last = (time.perf_counter(), _cpu())

    def __call__(self, stage: str, spent: tuple[float, float] | None = None) -> None:
        now = (time.perf_counter(), _cpu())
        wall, cpu = spent if spent is not None else (now[0] - self.last[0], now[1] - self.last[1])
        self.last = now
        print(
            f"  [{self.part}] {stage}: {wall:.1f} s wall, {cpu:.1f} CPU s"
            f" (elapsed {now[0] - self.start[0]:.0f} s wall, {now[1] - self.start[1]:.0f} CPU s)",
            file=sys.stderr,
            flush=True,
        )


#: Functions of ``iprisk.analysis.run`` that are its steps (those absent from a version are skipped).
STEPS = (
    "prepare",
    "cells",
    "aggregate",
    "trends_for",
    "propensity",
    "signals",
    "concentration",
    "mirror",
    "displacement",
)


@contextmanager
def timed_steps(on_step: Callable[[str, float, float], None]) -> Iterator[None]:
    """Within the block, each step of ``iprisk.analysis.run`` (:data:`STEPS`) calls ``on_step(name, wall,
    cpu)`` when it returns; the module's functions are put back after."""
    module = importlib.import_module("iprisk.analysis.run")
    originals = {name: getattr(module, name) for name in STEPS if hasattr(module, name)}

    def timer(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), _cpu()
            try:
                return fn(*args, **kwargs)
            finally:
                on_step(name, time.perf_counter() - wall, _cpu() - cpu)

        return timed

    for name, fn in originals.items():
        setattr(module, name, timer(name, fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of ``fn()``, and what it returned."""
    wall, cpu = time.perf_counter(), _cpu()
    got = fn()
    return time.perf_counter() - wall, _cpu() - cpu, got


def _engine_trends(con: Any, path: Path, progress: Progress) -> Any:
    """What the analysis does before trends: the lines read and folded into cells (with the case key), then
    the trends of every cut. Returns the cells (signals read them, as in ``analyse``)."""
    from iprisk.analysis._common import cells
    from iprisk.analysis.run import TREND_CUTS, TREND_METRICS
    from iprisk.analysis.trends import trends_for

    folded = cells(con.read_parquet(str(path)))
    progress("cells (read Parquet, case key, fold the lines)")
    for cut in TREND_CUTS:
        trends_for(folded, list(cut), TREND_METRICS)
        progress(f"trends by {', '.join(cut) or 'total'}")
    return folded


class _ParquetTables:
    """The benchmark's Parquet files read by an engine, in the place of a warehouse (``iprisk.analysis.run``
    reads its ``seizures()`` and ``trade()``): Spark reads them itself instead of copying 10 M rows over."""

    def __init__(self, con: Any, path: Path) -> None:
        self.con, self.path = con, path

    def seizures(self) -> Any:
        return self.con.read_parquet(str(self.path))

    def trade(self) -> Any:
        return self.con.read_parquet(str(self.path.with_name("trade.parquet")))


def _full(con: Any, path: Path, out: Path, engine: Engine) -> pd.DataFrame:
    """What ``iprisk analyse`` does: the library's one entry (``iprisk.analysis.run``), then the folder."""
    from iprisk.analysis import run
    from iprisk.reports import write_analysis

    progress = Progress(f"iprisk analyse, {engine}")
    with timed_steps(lambda name, wall, cpu: progress(name, (wall, cpu))):
        result = run(_ParquetTables(con, path), engine=engine)
    out.mkdir(parents=True, exist_ok=True)
    write_analysis(result, out)
    progress("write the folder (tables, charts, summary)")
    return result.signals


#: The generated data is kept here under the output folder, per size (drawing 10 M lines takes a minute).
_DATA_VERSION = 1


def _data(out: Path, n_lines: int) -> tuple[Path, dict[str, Any]]:
    folder = out / "cache" / f"analysis-v{_DATA_VERSION}-{n_lines}"
    path = folder / "seizures.parquet"
    if not path.exists() or not path.with_name("trade.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        make_data(path, n_lines)
    meta = pq.read_metadata(path)
    return path, {"lines": meta.num_rows}


def run(out: Path) -> list[dict[str, Any]]:
    import ibis

    n_lines = get_settings().bench_lines
    rows: list[dict[str, Any]] = []
    path, sizes = _data(out, n_lines)
    duck = ibis.duckdb.connect(threads=2)
    full_s, full_cpu, duck_signals = _timed(lambda: _full(duck, path, out / "analysis-duckdb", "duckdb"))
    name = f"iprisk analyse, DuckDB (2 threads), {sizes['lines']:,} lines x 16 quarters"
    rows.append(_row(name, full_s, target=TARGET_S, ok=full_s < TARGET_S))
    rows.append(_row(f"{name}: CPU time", full_cpu, unit="CPU s"))
    rows.append(
        _row(
            "signals reported (this world has no planted surge: all false)", len(duck_signals), unit="signals"
        )
    )
    engine_s, engine_cpu, signals_cpu, engine_signals = _engine_side(duck, path)
    progress = Progress("trends + signals, pandas")
    pandas_s, pandas_cpu, pandas_signals = _timed(lambda: _pandas_trends_and_signals(path, progress))
    same = _signal_set(pandas_signals) == _signal_set(engine_signals)
    rows.append(
        _row(
            "trends + signals: pandas' signals = DuckDB's (the baseline does the same work)",
            float(same),
            unit="bool",
            target=1.0,
            ok=same,
        )
    )
    rows.append(_row("trends + signals, DuckDB (Ibis), 2 threads", engine_s))
    rows.append(_row("trends + signals, DuckDB: CPU time", engine_cpu, unit="CPU s"))
    rows.append(
        _row(
            "  of which signals (CPU time)",
            signals_cpu,
            unit="CPU s",
            baseline=engine_cpu,
            ratio=signals_cpu / engine_cpu,
        )
    )
    rows.append(_row("trends + signals, plain pandas (1 thread)", pandas_s))
    rows.append(_row("trends + signals, plain pandas: CPU time", pandas_cpu, unit="CPU s"))
    rows.append(
        _row(
            "trends + signals: pandas wall time / DuckDB wall time",
            pandas_s / engine_s,
            unit="x",
            baseline=pandas_s,
            ratio=pandas_s / engine_s,
            target=TARGET_PANDAS_RATIO,
            ok=pandas_s / engine_s >= TARGET_PANDAS_RATIO,
        )
    )
    rows.append(
        _row(
            "trends + signals: pandas CPU time / DuckDB CPU time (no target: threads set aside)",
            pandas_cpu / engine_cpu,
            unit="x",
            baseline=pandas_cpu,
            ratio=pandas_cpu / engine_cpu,
        )
    )
    try:
        from iprisk.analysis.engines import spark_backend

        spark = spark_backend(app_name="iprisk-bench")
    except Exception as exc:  # pyspark or Java missing: say so in the figures
        rows.append(
            {
                "name": f"iprisk analyse, Spark local[2]: not run ({exc})",
                "value": None,
                "unit": "s",
                "baseline": None,
                "ratio": None,
                "target": None,
                "ok": None,
            }
        )
    else:
        spark_s, _, spark_signals = _timed(lambda: _full(spark, path, out / "analysis-spark", "spark"))
        rows.append(
            _row(
                "iprisk analyse, Spark local[2], same data", spark_s, baseline=full_s, ratio=spark_s / full_s
            )
        )
        same = _signal_set(spark_signals) == _signal_set(duck_signals)
        rows.append(
            _row(
                "signals found: Spark's set = DuckDB's set (quarter, direction, segment)",
                float(same),
                unit="bool",
                target=1.0,
                ok=same,
            )
        )
        spark._session.stop()
    return rows


def _engine_side(duck: Any, path: Path) -> tuple[float, float, float, pd.DataFrame]:
    """Trends + signals on the engine, as the comparison times them: wall and CPU seconds of both, the CPU
    seconds of the signals alone, and the signals."""
    progress = Progress("trends + signals, DuckDB")
    trends_s, trends_cpu, folded = _timed(lambda: _engine_trends(duck, path, progress))
    signals_s, signals_cpu, found = _timed(lambda: _signals(folded))
    progress("signals")
    folded.release()
    return trends_s + signals_s, trends_cpu + signals_cpu, signals_cpu, found


def _signals(folded: Any) -> pd.DataFrame:
    from iprisk.analysis.signals import signals

    return signals(folded)


def _signal_set(sig: pd.DataFrame) -> set[tuple[str, ...]]:
    """Each signal as (quarter, direction, the segment's values, metric)."""
    from iprisk.analysis.signals import SIGNAL_COLUMNS

    cols = [
        c
        for c in SIGNAL_COLUMNS
        if c not in ("observed", "expected", "p_value", "q_value", "score", "rank", "previous", "span")
    ]
    return {tuple(str(v) for v in row) for row in sig[cols].itertuples(index=False)}


def _row(
    name: str,
    value: float,
    *,
    unit: str = "s",
    baseline: float | None = None,
    ratio: float | None = None,
    target: float | None = None,
    ok: bool | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "ok": ok,
    }


def one_side(out: Path, side: str) -> dict[str, Any]:
    """Trends + signals on one side alone (``duckdb`` or ``pandas``), as :func:`run` times it: to profile or
    re-measure one side when the machine is too busy for the side-by-side run. Not a comparison."""
    import ibis

    path, sizes = _data(out, get_settings().bench_lines)
    if side == "duckdb":
        wall, cpu, _, found = _engine_side(ibis.duckdb.connect(threads=2), path)
    elif side == "pandas":
        progress = Progress("trends + signals, pandas")
        wall, cpu, found = _timed(lambda: _pandas_trends_and_signals(path, progress))
    else:
        raise ValueError(f"side is duckdb or pandas, not {side!r}")
    return {"side": side, "lines": sizes["lines"], "wall_s": wall, "cpu_s": cpu, "signals": len(found)}


if __name__ == "__main__":
    import json
    import sys

    args = [a for a in sys.argv[1:] if not a.startswith("--side=")]
    folder = Path(args[0] if args else "bench-out")
    sides = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--side=")]
    for r in [one_side(folder, sides[0])] if sides else run(folder):
        print(json.dumps(r))
