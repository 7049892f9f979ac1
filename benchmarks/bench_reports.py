"""Benchmark of the joint report: the annual report of a year in English and Chinese, HTML and PDF, from the
10 M-line benchmark warehouse of ``bench_analysis`` (drawn once per size and kept under ``bench-out/cache``,
not timed), against running the analysis of that year alone, side by side in one run.

The report runs in its own fresh process (so that its peak memory, ``VmHWM`` of ``/proc/self/status``, is its
own), in two measured steps:

- **the analysis**: :func:`iprisk.analysis.run` of the year (what ``iprisk analyse --from --to`` computes):
  wall time, CPU time and the peak memory of the process once it is done;
- **the report**: :func:`iprisk.reports.annual_inputs` given that analysis (the three years of trends by
  every cut, the lanes of the last quarter, the data snapshot) and the report written in both languages,
  each as HTML and PDF (charts, the KA3 map, WeasyPrint).

The report adds the difference (time, CPU time, and how much it raises the process's peak memory); the target
is less than 30 s and less than 1 GB over the analysis. Measuring both in one process keeps the baseline
in the same conditions as the report on a loaded machine (an earlier version ran the analysis alone in a
second process: twice the work for the same figure). ``IPRISK_BENCH_LINES`` (the ``bench_lines`` setting)
draws a smaller warehouse for a quick run.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from iprisk.settings import get_settings

TARGET_S = 30.0
TARGET_MB = 1024.0
#: The year reported: the last of the benchmark's sixteen quarters (2018Q1..2021Q4).
YEAR = 2021


def _cpu_s() -> float:
    """CPU time of this process so far (user + system, every thread): on a shared machine, wall time alone
    says more about the neighbours than about the work."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - not Linux


class _WithCaseCodes:
    """The benchmark's Parquet files, the seizure file made full-shape once (``seizures-full-shape.parquet``
    beside it, see :func:`_with_case_codes`; written once per size, not timed): the case columns ``make_data``
    does not draw (``procedure``, ``outcome``: the report's trends cut by them), arrival ports on listed
    ports and planted surges. Both sides read the same file; the report reads the two case columns stored, as
    from a warehouse (computed on every read, they cost its trends 3 CPU s at 10 M lines)."""

    def __init__(self, path: Path) -> None:
        import ibis

        from benchmarks.bench_analysis import _ParquetTables

        self.path = _with_case_codes(path)
        self._files = _ParquetTables(ibis.duckdb.connect(threads=2), self.path)

    def seizures(self) -> Any:
        return self._files.seizures()

    def trade(self) -> Any:
        return self._files.trade()


#: Segments (provenance, product category) whose lines the full-shape world triples in the last two quarters
#: of the year reported, as the simulator's planted surges multiply a segment's rate: the report's signals
#: and events then have something to show, as in a real year.
SURGES = (("BD", "medicines"), ("UA", "tobacco"), ("BR", "labels_packaging"))
#: The quarters the planted surges run in.
SURGE_QUARTERS = (f"{YEAR}Q3", f"{YEAR}Q4")


def _listed_arrival(code: str) -> str:
    """A listed port (:data:`iprisk.codes.PORTS`) for ``make_data``'s placeholder arrival port ``code``
    (``DEAAA``, ``DEBBB``...): the n-th listed port of the same country in code order, n from the
    placeholder's letters, so that each placeholder always lands on the same real port."""
    from iprisk.codes import PORTS

    same = sorted(locode for locode, port in PORTS.items() if port.country == code[:2])
    if not same:
        raise ValueError(f"no listed port in {code[:2]} for the arrival port {code}")
    return same[(ord(code[2]) - ord("A")) % len(same)]


def _with_case_codes(path: Path) -> Path:
    """The seizure file ``path`` made full-shape, written once beside it (atomically: a crash leaves no half
    file) as ``seizures-full-shape.parquet``: ``procedure`` and ``outcome`` drawn from the case id (as a
    declared case's codes would be); arrival ports mapped onto listed ports (:func:`_listed_arrival`, so the
    KA3 map draws lanes); and the lines of the :data:`SURGES` segments in :data:`SURGE_QUARTERS` tripled
    (two copies with new case ids), so the report shows signals and events."""
    target = path.with_name("seizures-full-shape.parquet")
    if target.exists():
        return target
    import ibis

    from iprisk.codes import OUTCOMES, PROCEDURES

    con = ibis.duckdb.connect(threads=2)
    t = con.read_parquet(str(path))
    procedures, outcomes = sorted(PROCEDURES), sorted(OUTCOMES)
    pick = t.case_id.hash().abs()
    arrivals = sorted(t.select("arrival_port").distinct().to_pandas()["arrival_port"].dropna())
    t = t.mutate(
        procedure=ibis.cases(*((pick % len(procedures) == i, c) for i, c in enumerate(procedures))),
        outcome=ibis.cases(*(((pick // 7) % len(outcomes) == i, c) for i, c in enumerate(outcomes))),
        arrival_port=t.arrival_port.substitute({a: _listed_arrival(a) for a in arrivals}),
    )
    surging = ibis.or_(
        *((t.provenance_country == p) & (t.product_category == c) for p, c in SURGES)
    ) & t.quarter.isin(SURGE_QUARTERS)
    copies = [t.filter(surging).mutate(case_id=t.case_id + f"-surge{n}") for n in (1, 2)]
    partial = target.with_suffix(".partial")
    con.to_parquet(ibis.union(t, *copies), str(partial))
    partial.rename(target)
    return target


def _tables(path: Path) -> _WithCaseCodes:
    return _WithCaseCodes(path)


def _child_report(path: Path, out: Path) -> dict[str, Any]:
    """The report side. Its analysis is run first and measured on its own (wall, CPU, the process's peak
    memory so far), then what the report adds in the same process: one process gives both figures, which on
    a loaded machine is steadier than two (and is what the report command does: analysis, then the rest)."""
    from iprisk.analysis import run
    from iprisk.reports import annual_inputs, annual_report, file_snapshot, write_report

    source = _tables(path)
    t0, cpu0 = time.perf_counter(), _cpu_s()
    result = run(source, start=f"{YEAR}Q1", end=f"{YEAR}Q4")
    analysed = {
        "analysis_seconds": time.perf_counter() - t0,
        "analysis_cpu_seconds": _cpu_s() - cpu0,
        "analysis_peak_mb": _peak_rss_mb(),
    }
    snapshot = file_snapshot(source.path, path.with_name("trade.parquet"))
    inputs = annual_inputs(source, YEAR, snapshot=snapshot, analysis=result)
    collected, collected_cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    files = []
    for locale in ("en", "zh"):
        doc = annual_report(inputs, locale)
        files += write_report(
            doc, [out / f"annual-{YEAR}.{locale}.html", out / f"annual-{YEAR}.{locale}.pdf"]
        )
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": _cpu_s() - cpu0,
        "collect_seconds": collected,
        "collect_cpu_seconds": collected_cpu,
        "files": [str(f) for f in files],
        "pdf_bytes": sum(f.stat().st_size for f in files if f.suffix == ".pdf"),
        "peak_mb": _peak_rss_mb(),
        # the report's shape: a world without signals or mapped lanes would be lighter than a real year
        "signals": len(result.signals),
        "events": len(result.events),
        **analysed,
    }


def _child_extras(path: Path, how: str) -> dict[str, Any]:
    """The report's data-dependent queries alone, without the analysis: the trends of every cut over three
    years (``how``: ``cells``, the report's way, its two-pass fold of :mod:`iprisk.reports.trend_cells`;
    ``general``, the same cuts from the analysis' general fold :func:`iprisk.analysis._common.cells`, the
    report's way before; ``lines``, one scan of every line per cut), the lanes of the last quarter and the
    file snapshot. ``python -m benchmarks.bench_reports extras PATH cells|general|lines``: a quick measure of
    what grows with the data, when the whole run does not fit."""
    from iprisk.analysis._common import cells, filter_quarters
    from iprisk.analysis.trends import trends_for
    from iprisk.reports import file_snapshot
    from iprisk.reports.inputs import TREND_CUTS, TREND_METRICS, _trend_blocks, period_lanes, trend_table

    source = _tables(path)
    start, end = f"{YEAR - 2}Q1", f"{YEAR}Q4"
    t0, cpu0 = time.perf_counter(), _cpu_s()
    if how == "cells":
        trend_table(source.seizures(), start=start, end=end)
    elif how == "general":
        dims = [c for c in TREND_CUTS if c]
        lines = filter_quarters(source.seizures(), start, end)
        kept = lines.select("quarter", "case_id", *dims, "articles", "retail_value_eur")
        folded = cells(kept, extra=dims)
        _trend_blocks(folded, start=start, end=end)
        folded.release()
    else:
        for cut in TREND_CUTS:
            trends_for(source.seizures(), [cut] if cut else [], TREND_METRICS, start=start, end=end)
    trends = {"trends_seconds": time.perf_counter() - t0, "trends_cpu_seconds": _cpu_s() - cpu0}
    period_lanes(source, start=f"{YEAR}Q4", end=f"{YEAR}Q4")
    file_snapshot(source.path, path.with_name("trade.parquet"))
    return {
        **trends,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": _cpu_s() - cpu0,
        "peak_mb": _peak_rss_mb(),
    }


def _spawn(kind: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_reports", kind, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"bench_reports {kind} child failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run(out: Path) -> list[dict[str, Any]]:
    from benchmarks.bench_analysis import _data

    path, sizes = _data(out, get_settings().bench_lines)  # drawn once per size, shared with bench_analysis
    folder = out / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    report = _spawn("report", str(path), str(folder))
    added_s = report["seconds"] - report["analysis_seconds"]
    added_cpu = report["cpu_seconds"] - report["analysis_cpu_seconds"]
    added_mb = report["peak_mb"] - report["analysis_peak_mb"]
    what = f"{sizes['lines']:,} lines"
    return [
        _row(f"analysis of {YEAR}, {what}", report["analysis_seconds"], "s"),
        _row(
            f"annual report {YEAR}, en + zh, HTML + PDF (analysis included)",
            report["seconds"],
            "s",
            baseline=report["analysis_seconds"],
        ),
        _row(
            "  of which gathering the inputs (analysis, trends, lanes, snapshot)",
            report["collect_seconds"],
            "s",
        ),
        _row("time the report adds to the analysis", added_s, "s", target=TARGET_S, ok=added_s < TARGET_S),
        _row("CPU time, analysis", report["analysis_cpu_seconds"], "s"),
        # where the report's CPU time goes: what grows with the data, and what does not (pages, charts)
        _row(
            "  CPU time of the report's data queries (trends, lanes, snapshot)",
            report["collect_cpu_seconds"] - report["analysis_cpu_seconds"],
            "s",
        ),
        _row(
            "  CPU time of building and writing the four files (en + zh, HTML + PDF)",
            report["cpu_seconds"] - report["collect_cpu_seconds"],
            "s",
        ),
        _row("CPU time, report", report["cpu_seconds"], "s", baseline=report["analysis_cpu_seconds"]),
        _row(
            "CPU time the report adds to the analysis",
            added_cpu,
            "s",
            target=TARGET_S,
            ok=added_cpu < TARGET_S,
        ),
        _row("peak memory, analysis", report["analysis_peak_mb"], "MB"),
        _row("peak memory, report", report["peak_mb"], "MB", baseline=report["analysis_peak_mb"]),
        _row(
            "memory the report adds to the analysis",
            added_mb,
            "MB",
            target=TARGET_MB,
            ok=added_mb < TARGET_MB,
        ),
        _row("size of the two PDFs", report["pdf_bytes"] / 1e6, "MB"),
        _row("signals of the analysis (full shape: planted surges)", report["signals"], "rows"),
        _row("events of the analysis", report["events"], "rows"),
    ]


def _row(
    name: str,
    value: float,
    unit: str,
    *,
    baseline: float | None = None,
    target: float | None = None,
    ok: bool | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 2),
        "ratio": None if baseline is None or not baseline else round(value / baseline, 2),
        "target": target,
        "ok": ok,
    }


def _main(argv: list[str]) -> None:  # pragma: no cover - child processes and manual runs
    kind, args = argv[0], argv[1:]
    if kind == "report":
        print(json.dumps(_child_report(Path(args[0]), Path(args[1]))))
    elif kind == "extras":
        print(json.dumps(_child_extras(Path(args[0]), args[1])))
    else:
        for r in run(Path(kind)):
            print(json.dumps(r))


if __name__ == "__main__":
    _main(sys.argv[1:] or ["bench-out"])
