"""Where the time of ``iprisk.analysis.run`` goes: wall and CPU seconds of each step, on a Parquet file.

``python -m benchmarks.profile_analysis [SEIZURES.parquet] [--cprofile]`` (default: the 10 M-line file
``make bench`` keeps under ``bench-out/cache/``; ``trade.parquet`` next to it). Each step the analysis calls
(prepare, cells, trends per cut, propensity, signals, concentration, mirror, displacement) is timed;
CPU time counts every thread of the process (DuckDB's), so it tells the work apart from the machine's load.
With ``--cprofile``, the functions that took the most time inside the run (cProfile, by cumulative time)
are printed after the steps. Not a benchmark (no baseline): the profile behind the figures of
``bench_analysis``.
"""

from __future__ import annotations

import importlib
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Functions of ``iprisk.analysis.run`` that are timed (those absent from a version are skipped).
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
DEFAULT = Path("bench-out/cache/analysis-v1-10000000/seizures.parquet")


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _timer(name: str, fn: Callable[..., Any], totals: dict[str, list[float]]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), _cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            spent = totals.setdefault(name, [0.0, 0.0, 0])
            spent[0] += time.perf_counter() - wall
            spent[1] += _cpu() - cpu
            spent[2] += 1

    return timed


def main(path: Path, cprofile: bool = False) -> None:
    import cProfile
    import pstats

    import ibis

    from benchmarks.bench_analysis import _ParquetTables

    module = importlib.import_module("iprisk.analysis.run")
    totals: dict[str, list[float]] = {}
    for name in STEPS:
        if hasattr(module, name):
            setattr(module, name, _timer(name, getattr(module, name), totals))
    con = ibis.duckdb.connect(threads=2)
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), _cpu()
    if cprofile:
        profiler.enable()
    result = module.run(_ParquetTables(con, path))
    profiler.disable()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"{'step':14s} {'calls':>5s} {'wall s':>8s} {'CPU s':>8s}")
    for name, (w, c, n) in totals.items():
        print(f"{name:14s} {n:5d} {w:8.2f} {c:8.2f}")
    print(f"{'run (total)':14s} {1:5d} {wall:8.2f} {cpu:8.2f}   ({len(result.signals)} signals)")
    if cprofile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--cprofile"]
    main(Path(args[0]) if args else DEFAULT, cprofile="--cprofile" in sys.argv[1:])
