"""Allocation results a node serves: stored plans and operations (who made them and when), and the KA2 port
selection computed on the node's warehouse.

Plans and operations are made by ``iprisk allocate`` and ``iprisk operation propose`` against the node's
operational database; reading them is cheap. A port selection is an integer program over every EU-China lane
(about a second on a scale-1 world), so it is computed per request from the current statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from iprisk.node.context import Node


@dataclass(frozen=True)
class Rows:
    """A table as the API returns it: columns in order and rows as lists (JSON-safe cells)."""

    columns: list[str]
    rows: list[list[Any]]


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _rows(frame: pd.DataFrame) -> Rows:
    return Rows(
        [str(c) for c in frame.columns],
        [[_cell(v) for v in record] for record in frame.itertuples(index=False, name=None)],
    )


def plan_list(node: Node) -> Rows:
    """Every stored plan with its headline figures, oldest first."""
    from iprisk.store import AllocationStore

    return _rows(AllocationStore(node.engine).plans())


def plan_strata(node: Node, plan_id: int, *, offset: int = 0, limit: int = 100) -> tuple[Rows, int]:
    """One page of plan ``plan_id``'s strata and their total count (NotFound when there is no such plan)."""
    from iprisk.store import AllocationStore

    strata = AllocationStore(node.engine).plan_strata(plan_id)
    return _rows(strata.iloc[offset : offset + limit]), len(strata)


def operation_list(node: Node) -> Rows:
    """Every stored joint operation, with its proposal and evaluation, oldest first."""
    from iprisk.store import AllocationStore

    return _rows(AllocationStore(node.engine).operations())


@dataclass(frozen=True)
class PortChoice:
    side: str
    ports: list[str]
    partners: list[str]
    covered: float
    total: float
    share: float
    curve: Rows


def select_key_ports(
    node: Node,
    *,
    side: str,
    count: int,
    fixed: tuple[str, ...] = (),
    partner_count: int | None = None,
    weight: str = "cases",
    start: str | None = None,
    end: str | None = None,
) -> PortChoice:
    """The KA2 network of ``count`` ports of ``side`` covering the most EU-China lane risk, as
    ``iprisk ports select`` computes it, on the node's warehouse."""
    from iprisk.allocation.ports import lane_risk, select_ports
    from iprisk.warehouse import Warehouse

    with Warehouse.open(node.settings.warehouse, create=False) as wh:
        trade = wh.trade() if weight == "traffic" else None
        lanes = lane_risk(wh.seizures(), trade, weight=weight, start=start, end=end)
    sel = select_ports(lanes, side=side, count=count, fixed=fixed, partner_count=partner_count)
    return PortChoice(
        sel.side, list(sel.ports), list(sel.partners), sel.covered, sel.total, sel.share, _rows(sel.curve)
    )
