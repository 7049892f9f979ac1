"""``iprisk ports select``: the KA2 direct-exchange network's ports, with the coverage curve."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from iprisk.cli import WarehouseOpt, app, out, quarter_callback

ports_app = typer.Typer(help="KA2 port selection for the direct-exchange network.", no_args_is_help=True)
app.add_typer(ports_app, name="ports")


class Side(StrEnum):
    EU = "EU"
    CN = "CN"


class Weight(StrEnum):
    cases = "cases"
    traffic = "traffic"


@ports_app.command("select")
def select_command(
    side: Annotated[Side, typer.Option("--side", help="The side whose ports are chosen.")],
    count: Annotated[
        int, typer.Option("--count", help="Ports of that side in the network (fixed ones included).")
    ],
    fixed: Annotated[
        list[str] | None,
        typer.Option("--fixed", help="A port already in the network, either side (repeatable)."),
    ] = None,
    partner_count: Annotated[
        int | None,
        typer.Option(
            "--partner-count", help="Choose the other side's ports too, this many (default: all its ports)."
        ),
    ] = None,
    weight: Annotated[
        Weight, typer.Option("--weight", help="A lane's risk: cases, or incidence x traffic.")
    ] = (Weight.cases),
    start: Annotated[
        str | None, typer.Option("--from", help="First quarter.", callback=quarter_callback)
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last quarter.", callback=quarter_callback)] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Choose the ports whose EU-China lanes cover the most risk, and show what each added port brings."""
    from iprisk.allocation.ports import lane_risk, select_ports
    from iprisk.warehouse import Warehouse

    with Warehouse.open(warehouse, create=False) as wh:
        trade = wh.trade() if weight is Weight.traffic else None
        lanes = lane_risk(wh.seizures(), trade, weight=weight.value, start=start, end=end)
    sel = select_ports(lanes, side=side.value, count=count, fixed=fixed or (), partner_count=partner_count)
    out.print(
        f"[bold]{side.value} ports[/]: {', '.join(sel.ports)} with {len(sel.partners)} "
        f"{'CN' if side is Side.EU else 'EU'} ports cover {sel.covered:,.1f} of {sel.total:,.1f} "
        f"({sel.share:.1%}) of the EU-China lanes' {weight.value}"
    )
    table = Table(title="Coverage as the network grows")
    for col in ("ports", "added", "dropped", "covered", "share", "gain"):
        table.add_column(col, justify="right" if col in ("ports", "covered", "share", "gain") else "left")
    for r in sel.curve.to_dict("records"):
        table.add_row(
            str(r["size"]), str(r["added"]), str(r["dropped"]), f"{r['covered']:,.1f}", f"{r['share']:.1%}",
            f"{r['gain']:+,.1f}",
        )  # fmt: skip
    out.print(table)
