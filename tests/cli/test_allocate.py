"""``iprisk allocate``, ``iprisk ports select`` and ``iprisk operation propose|evaluate`` on a small world."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iprisk.allocation import PLAN_COLUMNS, plan_allocation, read_capacity
from iprisk.allocation.estimate import estimate_curves
from iprisk.allocation.ports import lane_risk, select_ports
from iprisk.formats import read_declarations
from iprisk.simulate import simulate
from iprisk.store import AllocationStore
from iprisk.warehouse import Warehouse


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A warehouse of 2016, the logged declarations, and each office's capacity (what it controls today)."""
    folder = tmp_path_factory.mktemp("alloc-cli")
    summary = simulate(start="2016Q1", end="2016Q4", scale=0.01, seed=3, out_dir=folder / "world")
    warehouse = folder / "wh.duckdb"
    with Warehouse.open(warehouse) as wh:
        for path in summary.seizure_files:
            wh.submit(path, user="test")
        wh.load_trade(summary.trade_path)
        curves = estimate_curves(
            wh.seizures(), wh.trade(), read_declarations(summary.declarations_path), quarter="2016Q4"
        )
    capacity = curves.strata.groupby("office").status_quo.sum().round().rename("capacity").reset_index()
    capacity.to_csv(folder / "capacity.csv", index=False)
    assert summary.declarations_path is not None
    return warehouse, summary.declarations_path, folder / "capacity.csv"


def test_allocate_writes_stores_and_prints_what_the_library_plans(world, tmp_path: Path, run) -> None:
    warehouse, declarations, capacity = world
    db = tmp_path / "ops.sqlite"
    code, out, err = run(
        "allocate", "--quarter", "2016q4", "--capacity", capacity, "--declarations", declarations,
        "--out", tmp_path / "plan.csv", "--warehouse", warehouse, "--db", db, "--user", "ana",
    )  # fmt: skip
    assert code == 0, err
    written = pd.read_csv(tmp_path / "plan.csv")
    assert list(written.columns) == list(PLAN_COLUMNS)
    with Warehouse.open(warehouse, create=False) as wh:
        curves = estimate_curves(wh.seizures(), wh.trade(), read_declarations(declarations), quarter="2016Q4")
    plan = plan_allocation(curves, read_capacity(capacity), quarter="2016Q4")
    assert written.planned.sum() == pytest.approx(plan.strata.planned.sum())
    assert f"expected {plan.expected:,.1f} cases" in out
    assert f"gain over the status quo {plan.gain_vs_status_quo:+,.1f} cases" in out
    with AllocationStore(f"sqlite:///{db}") as store:
        stored = store.plans()
    assert stored.made_by.tolist() == ["ana"] and stored.quarter.tolist() == ["2016Q4"]


def test_allocate_reports_every_problem_of_a_bad_capacity_file(world, tmp_path: Path, run) -> None:
    warehouse, declarations, _ = world
    bad = tmp_path / "capacity.csv"
    bad.write_text("office,capacity,min_rate,max_rate\nNLRTM,-1,,\nrotterdam,5,0.5,0.1\n", encoding="utf-8")
    code, _, err = run(
        "allocate", "--quarter", "2016Q4", "--capacity", bad, "--declarations", declarations,
        "--out", tmp_path / "plan.csv", "--warehouse", warehouse, "--db", tmp_path / "ops.sqlite",
    )  # fmt: skip
    assert code == 3
    assert "row 1, column capacity: [range]" in err and "row 2, column office: [locode]" in err
    assert "row 2, column min_rate: [rate_order]" in err
    assert not (tmp_path / "plan.csv").exists()


def test_allocate_explains_constraints_that_cannot_hold(world, tmp_path: Path, run) -> None:
    warehouse, declarations, capacity = world
    tight = read_capacity(capacity).assign(min_rate=0.5)
    tight_file = tmp_path / "tight.csv"
    tight.to_csv(tight_file, index=False)
    code, _, err = run(
        "allocate", "--quarter", "2016Q4", "--capacity", tight_file, "--declarations", declarations,
        "--out", tmp_path / "plan.csv", "--warehouse", warehouse, "--db", tmp_path / "ops.sqlite",
    )  # fmt: skip
    assert code == 1
    assert "no plan satisfies every constraint" in err and "Constraints that cannot all hold" in err
    assert "capacity" in err and "lower bounds" in err


def test_ports_select_prints_the_librarys_network_and_curve(world, run) -> None:
    warehouse = world[0]
    code, out, err = run(
        "ports", "select", "--side", "EU", "--count", "3", "--fixed", "NLRTM", "-w", warehouse
    )
    assert code == 0, err
    with Warehouse.open(warehouse, create=False) as wh:
        sel = select_ports(lane_risk(wh.seizures()), side="EU", count=3, fixed=["NLRTM"])
    assert f"EU ports: {', '.join(sel.ports)}" in out
    assert f"({sel.share:.1%})" in out and "Coverage as the network grows" in out


def test_an_operation_is_proposed_stored_and_evaluated(world, tmp_path: Path, run) -> None:
    warehouse, declarations, capacity = world
    db = tmp_path / "ops.sqlite"
    roomy = read_capacity(capacity).assign(capacity=lambda c: c.capacity * 2)
    roomy.to_csv(tmp_path / "roomy.csv", index=False)
    code, out, err = run(
        "operation", "propose", "--quarter", "2016Q4", "--extra", "300", "--capacity", tmp_path / "roomy.csv",
        "--declarations", declarations, "--name", "toys", "-w", warehouse, "--db", db, "--user", "li",
    )  # fmt: skip
    assert code == 0, err
    assert "Operation toys (2016Q4..2016Q4, stored as 1): 300 extra controls" in out
    code, out, err = run("operation", "evaluate", "toys", "--before", "3", "-w", warehouse, "--db", db)
    assert code == 0, err
    assert "Operation toys (2016Q4..2016Q4):" in out and "comparable offices" in out
    with AllocationStore(f"sqlite:///{db}") as store:
        row = store.operations().iloc[0]
    assert row.proposed_by == "li" and row.measured_extra is not None
    code, _, err = run("operation", "evaluate", "nothing", "-w", warehouse, "--db", db)
    assert code == 1 and "operation not found: nothing" in err
