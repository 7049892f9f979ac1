"""``iprisk analyse``: the joint analysis of the warehouse, written to a folder for the experts' meeting."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from iprisk.cli import WarehouseOpt, app, err, out, quarter_callback


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@app.command("analyse")
def analyse_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the results to (created).")],
    start: Annotated[
        str | None,
        typer.Option(
            "--from", help="First quarter, YYYYQn (default: the first with data).", callback=quarter_callback
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to", help="Last quarter, YYYYQn (default: the last with data).", callback=quarter_callback
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
    engine: Annotated[Engine, typer.Option("--engine", help="Engine that runs the queries.")] = Engine.duckdb,
    fdr: Annotated[float, typer.Option("--fdr", help="False-discovery rate of the signals.")] = 0.05,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Render the PNG charts.")] = True,
) -> None:
    """Trends, signals, concentration, lanes, mirror and propensity, with charts and summary.md.

    Writes signals.csv, trends.parquet, concentration.csv, lanes.csv, mirror.csv, propensity.csv,
    displacement.csv, the charts (PNG) and summary.md to --out.
    """
    from iprisk.analysis import run
    from iprisk.reports import write_analysis
    from iprisk.security import check_output, protected_paths
    from iprisk.warehouse import Warehouse

    check_output(out_dir, protected=protected_paths(warehouse), directory=True)
    t0 = time.perf_counter()
    with Warehouse.open(warehouse) as wh:
        result = run(wh, engine=engine.value, start=start, end=end, fdr=fdr)

    written = write_analysis(
        result, out_dir, charts=charts, warn=lambda m: err.print(f"warning: {m}", markup=False)
    )
    out.print(
        f"analysed {result.start}..{result.end} on {engine.value}: {int(result.totals['cases']):,} cases, "
        f"{len(result.signals)} signals; wrote {len(written)} files to {out_dir} "
        f"in {time.perf_counter() - t0:.1f} s"
    )
