"""Run the benchmarks: ``python -m benchmarks [TOPIC ...]`` (``make bench`` runs them all).

Discovers ``benchmarks/bench_<topic>.py``, calls each module's ``run(out)`` with ``out = bench-out/``, prints
one table of every row and writes ``bench-out/results.json`` and ``bench-out/results.md``. With topics given
(``python -m benchmarks submit formats``), runs only those. A benchmark that fails is reported as a failed
row; the others still run, and the exit code is 1; so is it when a row misses its target (``ok`` false).
Running some topics replaces their rows in the result files and keeps the other topics' rows from the previous
run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
COLUMNS = ("bench", "name", "value", "unit", "baseline", "ratio", "target", "ok")


def discover() -> list[str]:
    """Topics of every ``bench_<topic>.py`` next to this file, sorted."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def run_topics(topics: list[str], out: Path, console: Console) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for topic in topics:
        console.print(f"[bold]bench {topic}[/] ...")
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.bench_{topic}")
            got = module.run(out)
        except Exception as exc:  # one failing benchmark must not hide the others' figures
            console.print(traceback.format_exc(), markup=False)
            got = [{"name": f"FAILED: {type(exc).__name__}: {exc}", "ok": False, "failed": True}]
        console.print(f"  {len(got)} row(s) in {time.perf_counter() - start:.0f} s")
        rows.extend({"bench": topic, **row} for row in got)
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _ok(row: dict[str, Any]) -> str:
    """The ``ok`` cell: yes / NO against the row's target, or says that the row has none."""
    if row.get("ok") is None and row.get("target") is None and not row.get("failed"):
        return "no target"
    return _cell(row.get("ok"))


def _cells(row: dict[str, Any]) -> list[str]:
    return [_ok(row) if c == "ok" else _cell(row.get(c)) for c in COLUMNS]


def to_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument(
        "topics", nargs="*", help=f"benchmarks to run (default: all of {', '.join(discover())})"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bench-out"), help="output folder (default bench-out/)"
    )
    args = parser.parse_args(argv)
    known = discover()
    unknown = [t for t in args.topics if t not in known]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(known)}")
    console = Console()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = run_topics(args.topics or known, args.out, console)
    table = Table(title="iprisk benchmarks")
    for col in COLUMNS:
        table.add_column(col, justify="right" if col in ("value", "baseline", "ratio", "target") else "left")
    for row in rows:
        table.add_row(*_cells(row))
    console.print(table)
    merged = _merge(args.out / "results.json", rows, known)
    (args.out / "results.json").write_text(json.dumps(merged, indent=2, default=str) + "\n", encoding="utf-8")
    (args.out / "results.md").write_text(to_markdown(merged), encoding="utf-8")
    console.print(f"wrote {args.out / 'results.json'} and {args.out / 'results.md'}")
    # A benchmark that crashed or a missed target (ok = NO) fails the run.
    return 1 if any(row.get("failed") or row.get("ok") is False for row in rows) else 0


def _merge(previous: Path, rows: list[dict[str, Any]], order: list[str]) -> list[dict[str, Any]]:
    """The new rows plus the previous run's rows of the topics not run this time, in topic order."""
    ran = {row["bench"] for row in rows}
    kept: list[dict[str, Any]] = []
    if previous.exists():
        try:
            kept = [r for r in json.loads(previous.read_text(encoding="utf-8")) if r.get("bench") not in ran]
        except (ValueError, AttributeError):
            kept = []
    rank = {t: i for i, t in enumerate(order)}
    return sorted(kept + rows, key=lambda r: rank.get(r.get("bench", ""), len(rank)))


if __name__ == "__main__":
    raise SystemExit(main())
