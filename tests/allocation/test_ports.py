"""KA2 port selection as maximal covering: the exact optimum, fixed ports, the coverage curve."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from iprisk.allocation.ports import greedy_ports, lane_risk, select_ports
from iprisk.errors import InvalidValue


def _lanes(seed: int = 0, eu: int = 7, cn: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    eu_ports = [f"NL{c}AA" for c in "ABCDEFGHIJ"[:eu]]
    cn_ports = [f"CN{c}AA" for c in "ABCDEFGH"[:cn]]
    rows = [
        {"cn_port": c, "eu_port": e, "weight": float(rng.pareto(1.2) * 10)}
        for e in eu_ports
        for c in cn_ports
        if rng.random() < 0.7
    ]
    frame = pd.DataFrame(rows)
    frame["departure_port"], frame["arrival_port"] = frame["cn_port"], frame["eu_port"]
    return frame


def _best(lanes: pd.DataFrame, k_eu: int, k_cn: int | None, fixed: tuple[str, ...] = ()) -> float:
    eu, cn = sorted(set(lanes.eu_port)), sorted(set(lanes.cn_port))
    best = 0.0
    for e in combinations(eu, k_eu):
        if not set(p for p in fixed if p.startswith("NL")) <= set(e):
            continue
        for c in combinations(cn, k_cn) if k_cn is not None else [tuple(cn)]:
            best = max(best, float(lanes[lanes.eu_port.isin(e) & lanes.cn_port.isin(c)].weight.sum()))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_joint_choice_is_the_exact_maximal_cover(seed: int) -> None:
    lanes = _lanes(seed)
    sel = select_ports(lanes, side="EU", count=3, partner_count=2)
    assert sel.covered == pytest.approx(_best(lanes, 3, 2), rel=1e-9)
    assert len(sel.ports) == 3 and len(sel.partners) == 2
    assert sel.lanes.covered.sum() == len(
        lanes[lanes.eu_port.isin(sel.ports) & lanes.cn_port.isin(sel.partners)]
    )


def test_fixed_ports_stay_and_the_curve_shows_what_each_port_brings() -> None:
    lanes = _lanes(3)
    weakest = lanes.groupby("eu_port").weight.sum().idxmin()
    sel = select_ports(lanes, side="EU", count=4, fixed=[weakest])
    assert weakest in sel.ports
    assert sel.covered == pytest.approx(_best(lanes, 4, None, (weakest,)), rel=1e-9)
    curve = sel.curve
    assert curve["size"].tolist() == [1, 2, 3, 4]
    assert (np.diff(curve.covered) >= -1e-9).all()
    assert curve.gain.sum() == pytest.approx(sel.covered)
    assert curve.added.iloc[0] == weakest
    # with the other side given, the best networks are nested: each step adds one port, drops none
    assert (curve.dropped == "").all() and (curve.added.str.count(",") == 0).all()
    assert sel.share == pytest.approx(sel.covered / lanes.weight.sum())


def test_greedy_is_optimal_with_the_partners_given_and_worse_jointly() -> None:
    lanes = _lanes(4, eu=8, cn=6)
    one = select_ports(lanes, side="EU", count=3)
    assert greedy_ports(lanes, side="EU", count=3, partners=sorted(set(lanes.cn_port))) == pytest.approx(
        one.covered
    )


def test_bad_requests_name_the_problem() -> None:
    lanes = _lanes(0)
    with pytest.raises(InvalidValue, match="side"):
        select_ports(lanes, side="US", count=2)
    with pytest.raises(InvalidValue, match="count"):
        select_ports(lanes, side="EU", count=50)
    with pytest.raises(InvalidValue, match="fixed"):
        select_ports(lanes, side="EU", count=1, fixed=["NLAAA", "NLBAA"])


def test_lane_risk_keeps_eu_china_lanes_with_both_sides_cases() -> None:
    rows = []
    for i, (dep, arr, admin) in enumerate(
        [("CNSHA", "NLRTM", "NL")] * 3
        + [("CNSHA", "NLRTM", "CN")] * 2
        + [("HKHKG", "NLRTM", "NL")] * 4
        + [("CNSHA", "USLAX", "CN")] * 5
        + [("CNNGB", "GBFXT", "GB")]
    ):
        rows.append(
            {
                "quarter": "2016Q1",
                "reporting_admin": admin,
                "case_id": f"c{i}",
                "office": arr,
                "departure_port": dep,
                "arrival_port": arr,
                "articles": 1,
                "retail_value_eur": 1.0,
            }
        )
    lanes = lane_risk(pd.DataFrame(rows))
    assert lanes[["cn_port", "eu_port", "weight"]].values.tolist() == [
        ["CNSHA", "NLRTM", 5.0],
        ["CNNGB", "GBFXT", 1.0],  # GB was a member state in 2016
    ]
