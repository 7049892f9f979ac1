"""The end-to-end demonstration behind ``make demo``: a simulated world, exchanged and analysed.

Each stage is an ordinary library call; this module only chains them and collects what they return, so a
notebook user can run the same steps one by one. Printing is left to ``iprisk demo`` (``cli/demo.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from iprisk.analysis import Analysis, run
from iprisk.demo.allocation import AllocationDemo, run_allocation_demo
from iprisk.demo.targeting import TargetingDemo, run_targeting_demo
from iprisk.periods import Quarter
from iprisk.reports import write_analysis
from iprisk.simulate import SimulationSummary, simulate
from iprisk.warehouse import SubmitResult, Warehouse, stored_summary

#: ``progress(stage, done, total)``
Progress = Callable[[str, int, int], None]


@dataclass
class DemoResult:
    out_dir: Path
    world: SimulationSummary
    warehouse: Path
    submissions: list[SubmitResult]
    stored: pd.DataFrame
    analysis: Analysis | None = None
    analysis_dir: Path | None = None
    targeting: TargetingDemo | None = None
    allocation: AllocationDemo | None = None


def run_demo(
    out_dir: str | Path,
    *,
    start: str = "2014Q1",
    end: str = "2017Q4",
    scale: float = 0.02,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoResult:
    """Simulate a world into ``out_dir/world``, submit every quarterly seizure file to a fresh warehouse
    ``out_dir/warehouse.duckdb``, load the trade statistics, summarise what was stored, run the joint
    analysis into ``out_dir/analysis`` (tables, charts, ``summary.md``); then propose
    profiles, fit the score on all but the last year and compare selection strategies on that year; plan the
    controls of the quarter after ``end`` (checked in the simulator) and choose the KA2 ports."""
    report = progress or (lambda stage, done, total: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world_dir = out / "world"
    if world_dir.exists():
        shutil.rmtree(world_dir)
    world = simulate(start=start, end=end, scale=scale, seed=seed, out_dir=world_dir, progress=report)

    warehouse_path = out / "warehouse.duckdb"
    for stale in (warehouse_path, warehouse_path.with_name(warehouse_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    results: list[SubmitResult] = []
    with Warehouse.open(warehouse_path) as wh:
        files = sorted(world.seizure_files)
        for i, path in enumerate(files, start=1):
            results.append(wh.submit(path, user="demo"))
            report("submit", i, len(files))
        wh.load_trade(world.trade_path)
        stored = stored_summary(wh.seizures())
        report("analysis", 0, 1)
        analysis = run(wh)
    analysis_dir = out / "analysis"
    write_analysis(analysis, analysis_dir)
    report("analysis", 1, 1)
    result = DemoResult(out, world, warehouse_path, results, stored, analysis, analysis_dir)

    last, first = Quarter.parse(end), Quarter.parse(start)
    if world.declarations_path and world.declarations_truth_path and last.index() - first.index() >= 4:
        report("targeting", 0, 1)
        result.targeting = run_targeting_demo(
            world.declarations_path, world.declarations_truth_path, train_until=(last - 4).end, seed=seed
        )
        report("targeting", 1, 1)
    if world.declarations_path and world.declarations_truth_path:
        report("allocation", 0, 1)
        result.allocation = run_allocation_demo(
            warehouse_path, world.declarations_path, world.declarations_truth_path, quarter=str(last + 1),
            scale=scale, seed=seed,
        )  # fmt: skip
        report("allocation", 1, 1)
    return result
