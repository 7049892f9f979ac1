"""Where the time of ``iprisk.analysis.run`` goes: wall and CPU seconds of each step, on a Parquet file.

``python -m benchmarks.profile_analysis [SEIZURES.parquet] [--cprofile | --signals]`` (default: the 10 M-line
file ``make bench`` keeps under ``bench-out/cache/``; ``trade.parquet`` next to it). Each step the analysis
calls (prepare, cells, trends per cut, propensity, signals, concentration, mirror, displacement) is timed;
CPU time counts every thread of the process (DuckDB's), so it tells the work apart from the machine's load.
With ``--cprofile``, the functions that took the most time inside the run (cProfile, by cumulative time)
are printed after the steps. With ``--signals``, only ``signals()`` on the file's lines folded into cells is
run, under cProfile (by cumulative, then own time). Not a benchmark (no baseline): the profile behind the
figures of ``bench_analysis``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmarks.bench_analysis import _cpu, _ParquetTables, timed_steps

DEFAULT = Path("bench-out/cache/analysis-v1-10000000/seizures.parquet")


def profile_signals(path: Path) -> None:
    """cProfile of ``signals()`` alone on the file's lines folded into cells, as ``analyse`` runs it."""
    import cProfile
    import pstats

    import ibis

    from iprisk.analysis._common import cells
    from iprisk.analysis.signals import signals

    con = ibis.duckdb.connect(threads=2)
    folded = cells(con.read_parquet(str(path)))
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), _cpu()
    profiler.enable()
    found = signals(folded)
    profiler.disable()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"signals: {wall:.1f} s wall, {cpu:.1f} CPU s ({len(found)} signals)")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"iprisk", 35)
    stats.sort_stats("tottime").print_stats(20)
    folded.release()


def main(path: Path, cprofile: bool = False) -> None:
    import cProfile
    import pstats

    import ibis

    from iprisk.analysis import run

    totals: dict[str, list[float]] = {}

    def add(name: str, wall: float, cpu: float) -> None:
        spent = totals.setdefault(name, [0.0, 0.0, 0])
        spent[0] += wall
        spent[1] += cpu
        spent[2] += 1

    con = ibis.duckdb.connect(threads=2)
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), _cpu()
    if cprofile:
        profiler.enable()
    with timed_steps(add):
        result = run(_ParquetTables(con, path))
    profiler.disable()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"{'step':14s} {'calls':>5s} {'wall s':>8s} {'CPU s':>8s}")
    for name, (w, c, n) in totals.items():
        print(f"{name:14s} {n:5d} {w:8.2f} {c:8.2f}")
    print(f"{'run (total)':14s} {1:5d} {wall:8.2f} {cpu:8.2f}   ({len(result.signals)} signals)")
    if cprofile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    file = Path(args[0]) if args else DEFAULT
    if "--signals" in sys.argv[1:]:
        profile_signals(file)
    else:
        main(file, cprofile="--cprofile" in sys.argv[1:])
