"""``iprisk allocate``: a plan of controls per office and stratum for a quarter, stored and written to CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from iprisk.cli import EXIT_INVALID, WarehouseOpt, app, err, out, quarter_callback
from iprisk.cli.profiles import DbOpt, UserOpt
from iprisk.errors import Infeasible, InvalidInput

if TYPE_CHECKING:  # the solvers load only when a command runs
    import pandas as pd

    from iprisk.allocation import Plan, YieldCurves


class Objective(StrEnum):
    cases = "cases"
    articles = "articles"
    value = "value"


DeclarationsOpt = Annotated[
    Path,
    typer.Option(
        "--declarations", help="Logged declarations with controlled, infringement and selection_propensity."
    ),
]
TOP_OFFICES = 15


def estimate(warehouse: str | None, declarations: Path, quarter: str, objective: str) -> YieldCurves:
    """The yield curves for ``quarter`` from the warehouse and a declarations file (validated)."""
    from iprisk.allocation.estimate import estimate_curves
    from iprisk.formats import read_declarations
    from iprisk.warehouse import Warehouse

    logged = read_declarations(declarations)
    with Warehouse.open(warehouse, create=False) as wh:
        return estimate_curves(wh.seizures(), wh.trade(), logged, quarter=quarter, objective=objective)


def invalid(exc: InvalidInput) -> typer.Exit:
    """Print every problem of an invalid input file and exit with the 'invalid data' code."""
    err.print(f"{exc.source or 'input'}: invalid, {exc.total} problem(s)", markup=False)
    for problem in exc.problems[:50]:
        err.print(f"  {problem}", markup=False)
    if exc.total > 50:
        err.print(f"  ... and {exc.total - 50} more", markup=False)
    return typer.Exit(EXIT_INVALID)


def print_conflicts(exc: Infeasible) -> typer.Exit:
    """The constraints that conflict, as a table; exit code 1."""
    err.print(f"error: {exc}", markup=False)
    conflicts = exc.conflicts
    if conflicts is not None and len(conflicts):
        table = Table(title="Constraints that cannot all hold")
        for col in ("constraint", "office", "route", "product", "side", "bound", "strata"):
            table.add_column(col, justify="right" if col in ("bound", "strata") else "left")
        for r in conflicts.to_dict("records"):
            table.add_row(
                str(r["constraint"]), str(r["office"]), str(r["route"]), str(r["product_category"]),
                str(r["side"]), f"{float(r['bound']):,.1f}", str(r["strata"]),
            )  # fmt: skip
        err.print(table)
    return typer.Exit(1)


def _overrides(values: list[str] | None) -> pd.DataFrame | None:
    """``OFFICE|ROUTE|PRODUCT=CONTROLS`` options as a table."""
    import pandas as pd

    if not values:
        return None
    rows = []
    for value in values:
        key, sep, number = value.rpartition("=")
        parts = key.split("|")
        try:
            controls = float(number)
        except ValueError:
            controls = -1.0
        if not sep or len(parts) != 3 or controls < 0:
            raise typer.BadParameter(
                f"{value!r}: expected OFFICE|ROUTE|PRODUCT=CONTROLS, e.g. 'NLRTM|sea CNSHA -> NLRTM|toys=40'",
                param_hint="--override",
            )
        rows.append(
            {"office": parts[0], "route": parts[1], "product_category": parts[2], "controls": controls}
        )
    return pd.DataFrame(rows)


@app.command("allocate")
def allocate_command(
    quarter: Annotated[
        str, typer.Option("--quarter", help="Quarter to plan, YYYYQn.", callback=quarter_callback)
    ],
    capacity: Annotated[
        Path, typer.Option("--capacity", help="Capacity file: office, capacity[, min_rate, ...].")
    ],
    declarations: DeclarationsOpt,
    out_path: Annotated[Path, typer.Option("--out", help="Plan CSV to write (one row per stratum).")],
    objective: Annotated[Objective, typer.Option("--objective", help="What to maximise.")] = Objective.cases,
    exploration: Annotated[
        float, typer.Option("--exploration", help="Share of capacity for random checks.")
    ] = 0.05,
    max_change: Annotated[
        float | None,
        typer.Option("--max-change", help="At most this factor times a stratum's controls today."),
    ] = None,
    displacement: Annotated[
        float, typer.Option("--displacement", help="Plan against fraudsters moving this share of each flow.")
    ] = 0.0,
    override: Annotated[
        list[str] | None,
        typer.Option(
            "--override", help="Force a stratum's controls: 'OFFICE|ROUTE|PRODUCT=CONTROLS' (repeatable)."
        ),
    ] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds the solver may take.")] = 60.0,
    warehouse: WarehouseOpt = None,
    db: DbOpt = None,
    user: UserOpt = None,
) -> None:
    """Allocate each office's capacity over its strata (office x route x product) to find the most.

    Prints the expected gain over the status quo and over a proportional allocation, and each office's
    shadow price; writes the plan to --out and stores it (with who made it and when) in the database.
    """
    from iprisk.allocation import plan_allocation, read_capacity
    from iprisk.store import AllocationStore

    forced = _overrides(override)
    try:
        cap = read_capacity(capacity)
        curves = estimate(warehouse, declarations, quarter, objective.value)
        plan = plan_allocation(
            curves, cap, exploration=exploration, overrides=forced, time_limit=time_limit, quarter=quarter,
            displacement=displacement, max_change=max_change,
        )  # fmt: skip
    except InvalidInput as exc:
        raise invalid(exc) from None
    except Infeasible as exc:
        raise print_conflicts(exc) from None
    out_path.parent.mkdir(parents=True, exist_ok=True)
    plan.strata.to_csv(out_path, index=False)
    with AllocationStore(db) as store:
        plan_id = store.save_plan(plan, by=user)
    _print_plan(plan)
    out.print(f"plan {plan_id} stored; {len(plan.strata):,} strata written to {out_path}")


def _print_plan(plan: Plan) -> None:
    unit = {"cases": "cases", "articles": "articles", "value": "EUR"}[plan.objective]
    out.print(
        f"[bold]Plan for {plan.quarter}[/]: {plan.strata.planned.sum():,.0f} controls in "
        f"{len(plan.offices)} offices, "
        f"expected {plan.expected:,.1f} {unit} (status quo {plan.status_quo:,.1f}, proportional "
        f"{plan.proportional:,.1f})"
    )
    out.print(
        f"gain over the status quo {plan.gain_vs_status_quo:+,.1f} {unit} "
        f"[{plan.gain_vs_status_quo_low:,.1f}, {plan.gain_vs_status_quo_high:,.1f}]; over proportional "
        f"{plan.gain_vs_proportional:+,.1f} [{plan.gain_vs_proportional_low:,.1f}, "
        f"{plan.gain_vs_proportional_high:,.1f}]; solver {plan.status}, gap {plan.gap:.2%}"
    )
    if plan.displacement:
        out.print(
            f"if fraudsters move {plan.displacement:.0%} of each flow: plan {plan.expected_displaced:,.1f}, "
            f"status quo {plan.status_quo_displaced:,.1f} {unit}"
        )
    if plan.override_cost:
        out.print(f"the overrides cost {plan.override_cost:,.2f} {unit}")
    table = Table(title=f"Offices (top {TOP_OFFICES} by expected {unit})")
    for col in ("office", "capacity", "planned", "status quo", "expected", "today", "one more control"):
        table.add_column(col, justify="left" if col == "office" else "right")
    for r in plan.offices.sort_values("expected", ascending=False).head(TOP_OFFICES).to_dict("records"):
        table.add_row(
            str(r["office"]), f"{r['capacity']:,.0f}", f"{r['planned']:,.0f}", f"{r['status_quo']:,.0f}",
            f"{r['expected']:,.1f}", f"{r['expected_status_quo']:,.1f}", f"{r['shadow_price']:.4f}",
        )  # fmt: skip
    out.print(table)
