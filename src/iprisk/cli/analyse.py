"""``iprisk analyse``: the joint analysis of the warehouse, written to a folder for the experts' meeting."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from iprisk.cli import WarehouseOpt, app, err, out, quarter_callback
from iprisk.cli._options import DbOpt


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
    db: DbOpt = None,
) -> None:
    """Trends, signals, concentration, lanes, mirror and propensity, with charts and summary.md.

    Writes signals.csv, trends.parquet, concentration.csv, lanes.csv, mirror.csv, propensity.csv,
    displacement.csv, the charts (PNG) and summary.md to --out, and records the run in the operational
    database's run log (--db), which the state of play counts among the analyses run.
    """
    from iprisk.reports import analyse_to_folder
    from iprisk.security import check_output, protected_paths
    from iprisk.warehouse import Warehouse

    check_output(out_dir, protected=protected_paths(warehouse, db), directory=True)
    t0 = time.perf_counter()
    with Warehouse.open(warehouse) as wh:
        done = analyse_to_folder(
            wh,
            out_dir,
            db=db,
            start=start,
            end=end,
            engine=engine.value,
            fdr=fdr,
            charts=charts,
            warn=lambda m: err.print(f"warning: {m}", markup=False),
        )
    result, written = done.result, done.written
    out.print(
        f"analysed {result.start}..{result.end} on {engine.value}: {int(result.totals['cases']):,} cases, "
        f"{len(result.signals)} signals; wrote {len(written)} files to {out_dir} "
        f"in {time.perf_counter() - t0:.1f} s"
    )
