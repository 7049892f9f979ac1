"""The demo's allocation stage: a plan for the quarter after the data, checked in the simulator, and the KA2
coverage curve. Library calls only; ``iprisk demo`` prints the result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from iprisk.allocation import Plan
from iprisk.allocation.estimate import estimate_curves
from iprisk.allocation.ports import PortSelection, lane_risk, select_ports
from iprisk.allocation.proof import plan_for_world
from iprisk.periods import Quarter
from iprisk.simulate import Scenario
from iprisk.simulate.forward import forward_quarter
from iprisk.warehouse import Warehouse

#: No stratum gets more than this factor times its controls today (the curves are estimated near today).
MAX_CHANGE = 10.0
#: Ports per side in the demo's KA2 network.
KA2_PORTS = 8


@dataclass
class AllocationDemo:
    plan: Plan
    ports: PortSelection
    true_status_quo: float  # the simulator's expected detections with today's controls
    true_plan: float  # ... with the plan's


def run_allocation_demo(
    warehouse: str | Path,
    declarations: Path,
    declarations_truth: Path,
    *,
    quarter: str,
    scale: float,
    seed: int,
    scenario: Scenario | None = None,
) -> AllocationDemo:
    """Plan ``quarter`` from the warehouse and the logged declarations, each office spending what it spends
    today, and run it in the simulator (its expected detections) against the status quo; choose the KA2
    network (EU and CN ports together)."""
    logged = pq.read_table(declarations)
    # the simulator files some goods under HS codes of another product group; the declaration system knows
    groups = pq.read_table(declarations_truth, columns=["product_category"]).column(0)
    logged = logged.append_column("product_category", groups)
    with Warehouse.open(warehouse, create=False) as wh:
        curves = estimate_curves(wh.seizures(), wh.trade(), logged, quarter=quarter)
        lanes = lane_risk(wh.seizures())
    ports = select_ports(lanes, side="EU", count=KA2_PORTS, partner_count=KA2_PORTS)
    forward = forward_quarter(scenario, Quarter.parse(quarter), scale, seed)
    plan, status_quo, planned = plan_for_world(curves, forward, exploration=0.05, max_change=MAX_CHANGE)
    return AllocationDemo(
        plan=plan,
        ports=ports,
        true_status_quo=float(forward.expected(status_quo).sum()),
        true_plan=float(forward.expected(planned).sum()),
    )


__all__ = ["AllocationDemo", "run_allocation_demo"]
