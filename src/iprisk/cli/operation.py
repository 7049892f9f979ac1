"""``iprisk operation propose|evaluate``: a joint operation planned from the analysis and measured after."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from iprisk.cli import WarehouseOpt, app, out, quarter_callback
from iprisk.cli.allocate import DeclarationsOpt, estimate, invalid, print_conflicts
from iprisk.cli.profiles import DbOpt, UserOpt
from iprisk.errors import Infeasible, InvalidInput

operation_app = typer.Typer(
    help="Joint operations: propose one, measure it afterwards.", no_args_is_help=True
)
app.add_typer(operation_app, name="operation")


@operation_app.command("propose")
def propose_command(
    quarter: Annotated[
        str, typer.Option("--quarter", help="First quarter of the operation.", callback=quarter_callback)
    ],
    extra: Annotated[float, typer.Option("--extra", help="Extra controls over the whole operation.")],
    capacity: Annotated[Path, typer.Option("--capacity", help="Capacity file: what each office can do.")],
    declarations: DeclarationsOpt,
    end: Annotated[
        str | None,
        typer.Option("--end", help="Last quarter (default: one quarter).", callback=quarter_callback),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Operation name (default: operation-<quarter>).")
    ] = None,
    office: Annotated[
        list[str] | None, typer.Option("--office", help="Limit to these offices (repeatable).")
    ] = None,
    warehouse: WarehouseOpt = None,
    db: DbOpt = None,
    user: UserOpt = None,
) -> None:
    """Propose where extra controls would find most, with the active profiles that target it; store it."""
    from iprisk.allocation import read_capacity
    from iprisk.allocation.operation import propose_operation
    from iprisk.store import AllocationStore, ProfileStore

    try:
        cap = read_capacity(capacity)
        curves = estimate(warehouse, declarations, quarter, "cases")
        with ProfileStore(db) as profiles:
            active = profiles.active()
        op = propose_operation(curves, cap, extra_controls=extra, start=quarter, end=end, name=name,
                               profiles=active, offices=office)  # fmt: skip
    except InvalidInput as exc:
        raise invalid(exc) from None
    except Infeasible as exc:
        raise print_conflicts(exc) from None
    with AllocationStore(db) as store:
        op_id = store.save_operation(op, by=user)
    out.print(
        f"[bold]Operation {op.name}[/] ({op.start}..{op.end}, stored as {op_id}): "
        f"{op.extra_controls:,.0f} extra controls at {len(op.offices)} offices on {len(op.routes)} routes, "
        f"expected {op.expected_extra:,.1f} more cases [{op.expected_low:,.1f}, {op.expected_high:,.1f}]; "
        f"profiles: {', '.join(op.profiles) or 'none'}"
    )
    table = Table(title="Where the extra controls go")
    for col in ("office", "route", "product", "today", "extra", "more cases"):
        table.add_column(col, justify="right" if col in ("today", "extra", "more cases") else "left")
    for r in op.strata.head(20).to_dict("records"):
        table.add_row(
            str(r["office"]), str(r["route"]), str(r["product_category"]), f"{r['status_quo']:,.1f}",
            f"{r['extra']:,.1f}", f"{r['expected_extra']:,.2f}",
        )  # fmt: skip
    out.print(table)


@operation_app.command("evaluate")
def evaluate_command(
    name: Annotated[str, typer.Argument(help="The operation's name.")],
    before: Annotated[
        int, typer.Option("--before", help="Quarters before the operation as its baseline.")
    ] = 4,
    warehouse: WarehouseOpt = None,
    db: DbOpt = None,
    user: UserOpt = None,
) -> None:
    """Measure an operation: its offices during it against before, and against comparable offices."""
    from iprisk.allocation.operation import evaluate_operation
    from iprisk.store import AllocationStore
    from iprisk.warehouse import Warehouse

    with AllocationStore(db) as store:
        op_id, op = store.operation(name)
        with Warehouse.open(warehouse, create=False) as wh:
            ev = evaluate_operation(wh.seizures(), op, before=before)
        store.record_evaluation(op_id, ev, by=user)
    out.print(
        f"[bold]Operation {op.name}[/] ({op.start}..{op.end}): {ev.observed:,.0f} cases at its "
        f"{ev.treated_offices} offices, x{ev.ratio:.2f} [{ev.ratio_low:.2f}, {ev.ratio_high:.2f}] against "
        f"before and {ev.comparison_offices} comparable offices: {ev.extra:+,.1f} cases "
        f"[{ev.extra_low:+,.1f}, {ev.extra_high:+,.1f}] (p = {ev.p_value:.3g}); "
        f"expected {op.expected_extra:+,.1f}"
    )
