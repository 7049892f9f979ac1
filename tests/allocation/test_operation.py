"""Joint operations: proposed where extra controls find most, measured by difference in differences."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from iprisk.allocation.operation import Operation, evaluate_operation, propose_operation
from iprisk.allocation.synthetic import synthetic_instance
from iprisk.profiles.model import Profile


def _profile(pid: str, **criteria: object) -> Profile:
    return Profile.model_validate(
        {
            "id": pid,
            "title": pid,
            "owner": "NL",
            "risk_level": 3,
            "valid_from": date(2016, 1, 1),
            "criteria": criteria,
            "scope": {"flow": "import"},
        }
    )


def test_extra_controls_go_where_they_find_most_within_spare_capacity() -> None:
    curves, capacity = synthetic_instance(6, 4, 3, seed=2)
    spare = capacity.assign(capacity=capacity.capacity * 1.5)
    profiles = [
        _profile("P-FOOD", product_categories=["foodstuffs"]),
        _profile("P-NONE", product_categories=["tobacco"]),
    ]
    op = propose_operation(curves, spare, extra_controls=500, start="2017Q1", profiles=profiles)
    assert op.extra_controls == pytest.approx(500, rel=1e-6)
    assert op.expected_low < op.expected_extra < op.expected_high and op.expected_extra > 0
    assert set(op.offices) == set(op.strata.office) and op.routes and op.products
    assert (op.strata.extra >= 0.5).all()
    # no office goes beyond its capacity
    planned = op.strata.groupby("office").extra.sum()
    room = spare.set_index("office").capacity - curves.strata.groupby("office").status_quo.sum()
    assert (planned <= room.reindex(planned.index) + 1e-6).all()
    # the extra controls' marginal yield is at least that of any stratum left out
    assert op.expected_extra / op.extra_controls > curves.slopes[:, 0].mean() * 0.5
    assert op.profiles == (("P-FOOD",) if "foodstuffs" in op.products else ())
    again = Operation.from_dict(op.as_dict())
    assert again.offices == op.offices and len(again.strata) == len(op.strata)


def _seizures(ratio: float, seed: int) -> tuple[pd.DataFrame, Operation]:
    """Cases per office and quarter around a level per office and a season; the operation's two offices
    find ``ratio`` times more during its quarter."""
    rng = np.random.default_rng(seed)
    offices = ["NLRTM", "BEANR", "DEHAM", "FRLEH", "ESVLC", "ITGOA"]
    level = dict(zip(offices, (40, 30, 25, 20, 15, 35), strict=True))
    quarters = ["2016Q1", "2016Q2", "2016Q3", "2016Q4", "2017Q1"]
    season = dict(zip(quarters, (1.0, 0.9, 1.1, 1.3, 1.0), strict=True))
    rows = []
    for o in offices:
        for q in quarters:
            mu = level[o] * season[q] * (ratio if o in ("NLRTM", "BEANR") and q == "2017Q1" else 1.0)
            for i in range(rng.poisson(mu * rng.gamma(20, 1 / 20))):
                rows.append(
                    {
                        "quarter": q,
                        "reporting_admin": o[:2],
                        "case_id": f"{o}{q}{i}",
                        "office": o,
                        "product_category": "toys",
                        "transport_mode": "sea",
                    }
                )
    op = Operation(
        "toys",
        "2017Q1",
        "2017Q1",
        ("BEANR", "NLRTM"),
        (),
        ("toys",),
        ("sea",),
        (),
        100.0,
        0,
        0,
        0,
        pd.DataFrame(),
    )
    return pd.DataFrame(rows), op


def test_difference_in_differences_finds_a_planted_effect() -> None:
    seizures, op = _seizures(1.6, seed=0)
    ev = evaluate_operation(seizures, op)
    assert ev.ratio_low < 1.6 < ev.ratio_high and ev.ratio_low > 1.0
    assert ev.treated_offices == 2 and ev.comparison_offices == 4
    assert ev.extra == pytest.approx(ev.observed * (1 - 1 / ev.ratio))
    assert ev.extra_low < ev.extra < ev.extra_high
    assert ev.p_value < 0.05


def test_without_an_effect_the_interval_covers_none_most_of_the_time() -> None:
    runs = [evaluate_operation(*_seizures(1.0, seed=s)) for s in range(40)]
    assert np.mean([r.ratio_low <= 1.0 <= r.ratio_high for r in runs]) >= 0.85
