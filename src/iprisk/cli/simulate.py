"""``iprisk simulate``: write a synthetic world (declarations, seizure files, trade, ground truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from iprisk.cli import ErrorsOutOpt, app, err, out, quarter_callback
from iprisk.cli._report import Report


@app.command("simulate")
def simulate_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if absent).")],
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario YAML (default: the calibrated world).")
    ] = None,
    start: Annotated[
        str, typer.Option("--start", help="First quarter, YYYYQn.", callback=quarter_callback)
    ] = "2014Q1",
    end: Annotated[
        str, typer.Option("--end", help="Last quarter, YYYYQn.", callback=quarter_callback)
    ] = "2017Q4",
    scale: Annotated[
        float, typer.Option("--scale", help="World size; 1.0 matches the published figures.")
    ] = 0.05,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same world.")] = 7,
    workers: Annotated[int, typer.Option("--workers", help="Threads generating declarations.")] = 1,
    no_declarations: Annotated[
        bool, typer.Option("--no-declarations", help="Write seizures, trade and truth only.")
    ] = False,
    errors_out: ErrorsOutOpt = None,
) -> None:
    """Simulate a synthetic customs world and write it to --out."""
    from iprisk.security import check_output, protected_paths
    from iprisk.simulate import load_scenario, simulate  # numpy/pandas-heavy: loaded when used

    inputs = [scenario] if scenario else []
    check_output(out_dir, inputs=inputs, protected=protected_paths(), directory=True)
    with Report(errors_out, inputs=inputs):
        world = load_scenario(scenario) if scenario else None
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:<13}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        summary = simulate(
            world,
            start,
            end,
            scale,
            seed,
            out_dir,
            declarations=not no_declarations,
            workers=workers,
            progress=report,
        )
    out.print(
        f"simulated {summary.quarters[0]}..{summary.quarters[-1]} at scale {scale} in {summary.seconds:.1f} s"
    )
    out.print(
        f"seizures: {len(summary.seizure_files)} files, {summary.seizure_cases:,} cases, "
        f"{summary.seizure_lines:,} lines, {summary.seizure_articles:,} articles -> {out_dir / 'seizures'}"
    )
    if summary.declarations_path:
        out.print(
            f"declarations: {summary.declarations:,} rows, {summary.controlled:,} controlled, "
            f"{summary.infringements_found:,} infringements found -> {summary.declarations_path}"
        )
    out.print(f"trade: {summary.trade_path}; ground truth: {summary.truth_path}")
