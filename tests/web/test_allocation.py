"""/allocation: stored plans and operations as the store holds them, and the KA2 port selection as the
library computes it on the node's statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

from iprisk.accounts import Role
from iprisk.allocation import plan_allocation
from iprisk.allocation.operation import propose_operation
from iprisk.allocation.ports import lane_risk, select_ports
from iprisk.allocation.synthetic import synthetic_instance
from iprisk.store import AllocationStore
from iprisk.warehouse import Warehouse
from tests.web.conftest import LiveNode

EXAMPLES = Path(__file__).parents[2] / "examples" / "seizures"


def test_plans_and_their_strata_are_read_as_stored(live: LiveNode) -> None:
    curves, capacity = synthetic_instance(3, 3, 2, seed=1)
    plan = plan_allocation(curves, capacity, quarter="2017Q1")
    store = AllocationStore(live.node.engine)
    plan_id = store.save_plan(plan, by="ana")
    analyst = live.headers(Role.ANALYST)

    listed = live.client.get("/allocation/plans", headers=analyst).json()
    row = dict(zip(listed["columns"], listed["rows"][0], strict=True))
    assert (row["plan_id"], row["quarter"], row["made_by"]) == (plan_id, "2017Q1", "ana")
    assert row["expected"] == pytest.approx(plan.expected)

    page = live.client.get(f"/allocation/plans/{plan_id}?limit=4&offset=2", headers=analyst).json()
    stored = store.plan_strata(plan_id)
    assert page["total"] == len(stored) == len(plan.strata) and len(page["rows"]) == 4
    assert page["rows"][0][: len(stored.columns)] == [
        v.item() if hasattr(v, "item") else v for v in stored.iloc[2].tolist()
    ]
    assert live.client.get(f"/allocation/plans/{plan_id + 9}", headers=analyst).status_code == 404


def test_operations_are_listed_with_who_proposed_them(live: LiveNode) -> None:
    curves, capacity = synthetic_instance(4, 3, 2, seed=2)
    op = propose_operation(
        curves, capacity.assign(capacity=capacity.capacity * 2), extra_controls=200, start="2017Q1",
        name="toys-2017",
    )  # fmt: skip
    AllocationStore(live.node.engine).save_operation(op, by="li")
    listed = live.client.get("/allocation/operations", headers=live.headers(Role.COORDINATOR)).json()
    row = dict(zip(listed["columns"], listed["rows"][0], strict=True))
    assert (row["name"], row["proposed_by"]) == ("toys-2017", "li")


def test_port_selection_is_the_library_call_on_the_node_warehouse(live: LiveNode) -> None:
    with Warehouse.open(live.settings.warehouse) as wh:
        wh.submit(EXAMPLES / "DE_2016Q3.csv", user="test")
        lanes = lane_risk(wh.seizures())
    expected = select_ports(lanes, side="EU", count=1)
    answer = live.client.get("/allocation/ports?side=EU&count=1", headers=live.headers(Role.ANALYST))
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert got["ports"] == list(expected.ports) and got["partners"] == list(expected.partners)
    assert got["covered"] == pytest.approx(expected.covered) and got["share"] == pytest.approx(expected.share)
    assert len(got["curve"]["rows"]) == len(expected.curve)
    bad = live.client.get("/allocation/ports?side=EU&count=1&fixed=nope", headers=live.headers(Role.ANALYST))
    assert bad.status_code == 422
