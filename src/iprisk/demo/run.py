"""The end-to-end demonstration behind ``make demo``: a simulated world, exchanged and analysed.

Each stage is an ordinary library call; this module only chains them and collects what they return, so a
notebook user can run the same steps one by one. Printing is left to ``iprisk demo`` (``cli/demo.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from iprisk.analysis import Analysis, run
from iprisk.demo.allocation import AllocationDemo, run_allocation_demo
from iprisk.demo.channel import ChannelDemo, run_channel_demo
from iprisk.demo.targeting import TargetingDemo, run_targeting_demo
from iprisk.i18n import LOCALES
from iprisk.periods import Quarter
from iprisk.reports import (
    Effectiveness,
    annual_inputs,
    annual_report,
    newsletter,
    newsletter_inputs,
    write_analysis,
    write_report,
)
from iprisk.simulate import SimulationSummary, receipt_calendar, simulate
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
    #: the newsletter of the last quarter and the joint report of the last full year, in each language
    reports: list[Path] = field(default_factory=list)
    channel: ChannelDemo | None = None


def run_demo(
    out_dir: str | Path,
    *,
    start: str = "2014Q1",
    end: str = "2017Q4",
    scale: float = 0.02,
    seed: int = 7,
    progress: Progress | None = None,
    reports: bool = True,
    nodes: bool = True,
) -> DemoResult:
    """Simulate a world into ``out_dir/world``, submit every quarterly seizure file to a fresh warehouse
    ``out_dir/warehouse.duckdb`` (each on the day its administration would have sent it,
    :func:`~iprisk.simulate.receipt_calendar`), load the trade statistics, summarise what was stored, run
    the joint analysis into ``out_dir/analysis`` (tables, charts, ``summary.md``); then propose profiles,
    fit the score on all but the last year and compare selection strategies on that year; plan the controls
    of the quarter after ``end`` (checked in the simulator) and choose the KA2 ports; then
    (``reports``) write the newsletter of the last quarter and the joint report of the last full year, in
    English and Chinese, HTML and PDF, into ``out_dir/reports`` (the report's effectiveness section shows the
    targeting stage's figures when they measured that year). With ``nodes``, an EU and a CN node on loopback
    exchange the last quarter's statistics and a joint profile, and reconcile (``out_dir/nodes``)."""
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
        # in the order and on the days the administrations would have sent them (the state of play reads
        # when each arrived)
        calendar = receipt_calendar(world.seizure_files, seed=seed)
        for i, receipt in enumerate(calendar, start=1):
            results.append(wh.submit(receipt.path, user="demo", received_at=receipt.received_at))
            report("submit", i, len(calendar))
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
    if reports:
        with Warehouse.open(warehouse_path) as wh:
            result.reports = write_demo_reports(wh, out / "reports", last, result.targeting, progress=report)
    if nodes:
        report("two nodes", 0, 1)
        last_files = [f for f in world.seizure_files if f.stem.endswith(str(last))]
        result.channel = run_channel_demo(out, last_files)
        report("two nodes", 1, 1)
    return result


def write_demo_reports(
    warehouse: Warehouse,
    out_dir: Path,
    last: Quarter,
    targeting: TargetingDemo | None = None,
    *,
    progress: Progress | None = None,
) -> list[Path]:
    """The newsletter of ``last`` and the joint report of the last full year up to it, in each language, as
    HTML and PDF. When ``last`` ends a year, both read one analysis (the four quarters of that year)."""
    report = progress or (lambda stage, done, total: None)
    year = last.year if last.q == 4 else last.year - 1
    evaluated = targeting is not None and targeting.train_until.year == year - 1
    effectiveness = demo_effectiveness(targeting, year) if evaluated and targeting is not None else None
    steps = 2 * len(LOCALES) + 1
    report("reports", 0, steps)
    year_inputs = annual_inputs(warehouse, year, effectiveness=effectiveness)
    quarter_inputs = year_inputs if last.q == 4 else newsletter_inputs(warehouse, str(last))
    report("reports", 1, steps)
    written: list[Path] = []
    for locale in LOCALES:
        for name, doc in (
            (f"newsletter-{last}", newsletter(quarter_inputs, locale)),
            (f"annual-{year}", annual_report(year_inputs, locale)),
        ):
            written += write_report(
                doc, [out_dir / f"{name}.{locale}.pdf", out_dir / f"{name}.{locale}.html"]
            )
            report("reports", len(written) // 2 + 1, steps)
    return written


def demo_effectiveness(targeting: TargetingDemo, year: int) -> Effectiveness:
    """The targeting stage's figures as the joint report's effectiveness section reads them."""
    return Effectiveness(
        targeting.comparison,
        targeting.profile_table,
        f"{year}-01-01 - {year}-12-31",
    )
