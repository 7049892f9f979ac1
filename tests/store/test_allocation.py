"""Plans and operations are stored whole, with who made them and when, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.allocation import plan_allocation
from iprisk.allocation.operation import OperationEvaluation, propose_operation
from iprisk.allocation.synthetic import synthetic_instance
from iprisk.errors import NotFound
from iprisk.store import AllocationStore


def test_a_plan_is_stored_whole_with_its_author(store_database_url: str) -> None:
    curves, capacity = synthetic_instance(3, 3, 2, seed=1)
    plan = plan_allocation(curves, capacity, quarter="2017Q1")
    with AllocationStore(store_database_url) as store:
        pid = store.save_plan(plan, by="ana")
        listed = store.plans()
        strata = store.plan_strata(pid)
        with pytest.raises(NotFound):
            store.plan_strata(pid + 99)
    row = listed.set_index("plan_id").loc[pid]
    assert row.made_by == "ana" and row.quarter == "2017Q1" and row.made_at.tzinfo is not None
    assert row.expected == pytest.approx(plan.expected)
    expected = plan.strata.sort_values(["office", "route", "product_category"]).reset_index(drop=True)
    assert len(strata) == len(plan.strata)
    assert np.allclose(strata.planned, expected.planned) and (strata.route == expected.route).all()


def test_an_operation_and_its_evaluation(store_database_url: str) -> None:
    curves, capacity = synthetic_instance(4, 3, 2, seed=2)
    op = propose_operation(
        curves,
        capacity.assign(capacity=capacity.capacity * 2),
        extra_controls=200,
        start="2017Q1",
        name="toys-2017",
    )
    ev = OperationEvaluation(
        "toys-2017", 1.4, 1.1, 1.8, 30.0, 10.0, 45.0, 0.01, 100.0, 1.2, 2, 5, pd.DataFrame()
    )
    with AllocationStore(store_database_url) as store:
        oid = store.save_operation(op, by="li")
        again_id, again = store.operation("toys-2017")
        store.record_evaluation(oid, ev, by="jan")
        table = store.operations()
        with pytest.raises(NotFound):
            store.operation("nothing")
    assert again_id == oid and again.offices == op.offices and again.extra_controls == pytest.approx(200)
    row = table.set_index("operation_id").loc[oid]
    assert row.proposed_by == "li" and row.evaluated_by == "jan"
    assert row.measured_extra == 30.0 and row.measured_low == 10.0
