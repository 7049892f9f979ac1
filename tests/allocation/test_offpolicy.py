"""Off-policy estimates of a plan's yield: unbiased, and their intervals cover the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.allocation.offpolicy import evaluate_offpolicy, plan_rates_to_propensities

_STRATA = [
    ("NLRTM", "sea CNSHA -> NLRTM", "toys"),
    ("NLRTM", "sea CNSHA -> NLRTM", "shoes"),
    ("BEANR", "sea CNSHA -> BEANR", "toys"),
    ("BEANR", "sea HKHKG -> BEANR", "clothing"),
]


def _population(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    """Logged declarations of one quarter (the whole traffic), each stratum with a flagged minority that is
    five times as risky and controlled more often; a plan that moves controls; the truth of its yield."""
    rng = np.random.default_rng(seed)
    rows = []
    for (office, route, product), n, rate in zip(
        _STRATA, (3000, 2000, 2500, 1500), (0.02, 0.05, 0.01, 0.03), strict=True
    ):
        flagged = rng.random(n) < 0.1
        p = np.where(flagged, 0.3, 0.03)
        risk = rate * np.where(flagged, 5.0, 1.0) / (0.1 * 5 + 0.9)
        mode, lane = route.split(" ", 1)
        dep, arr = lane.split(" -> ")
        rows.append(
            pd.DataFrame(
                {
                    "office": office,
                    "transport_mode": mode,
                    "departure_port": dep,
                    "arrival_port": arr,
                    "product_category": product,
                    "selection_propensity": p,
                    "risk": risk,
                }
            )
        )
    pop = pd.concat(rows, ignore_index=True)
    pop["declaration_id"] = [f"D{i:06d}" for i in range(len(pop))]
    pop["date"] = pd.Timestamp("2016-11-15")
    pop["hs_code"] = "950300"
    trade = pop.groupby(
        ["office", "transport_mode", "departure_port", "arrival_port", "product_category"]
    ).size()
    trade = trade.rename("consignments").reset_index().assign(quarter="2016Q4")
    plan = pd.DataFrame(_STRATA, columns=["office", "route", "product_category"])
    plan["rate"] = [0.2, 0.02, 0.01, 0.12]
    # truth: each declaration controlled with min(1, lambda p), lambda set per stratum to the planned rate
    # (strata numbered in order of appearance, which is the plan's order)
    stratum = pop.groupby(["office", "product_category", "departure_port"], sort=False).ngroup().to_numpy()
    pi = plan_rates_to_propensities(plan["rate"].to_numpy(), pop["selection_propensity"].to_numpy(), stratum)
    truth = float((pi * pop["risk"]).sum())
    return pop, trade, plan, truth


def _log(pop: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    controlled = rng.random(len(pop)) < pop["selection_propensity"]
    hit = rng.random(len(pop)) < pop["risk"]
    return pop.assign(controlled=controlled, infringement=np.where(controlled, hit, None))


def test_propensities_keep_priorities_and_meet_the_planned_rate() -> None:
    p = np.array([0.3, 0.03, 0.03, 0.03, 0.1, 0.1])
    stratum = np.array([0, 0, 0, 0, 1, 1])
    pi = plan_rates_to_propensities(np.array([0.5, 0.05]), p, stratum)
    assert pi[:4].mean() == pytest.approx(0.5, rel=1e-6)
    assert pi[4:].mean() == pytest.approx(0.05, rel=1e-6)
    assert pi[0] == 1.0  # the priority consignment saturates first
    assert pi[1] == pytest.approx(pi[2]) and pi[1] < 1


def test_estimates_are_unbiased_and_intervals_cover_the_truth() -> None:
    pop, trade, plan, truth = _population()
    rng = np.random.default_rng(1)
    runs = [evaluate_offpolicy(plan, _log(pop, rng), trade, ["2016Q4"]) for _ in range(40)]
    ipw = np.array([r.ipw for r in runs])
    dr = np.array([r.dr for r in runs])
    assert abs(ipw.mean() - truth) < 3 * ipw.std() / np.sqrt(len(ipw))
    assert abs(dr.mean() - truth) < 3 * dr.std() / np.sqrt(len(dr))
    assert np.mean([r.ipw_low <= truth <= r.ipw_high for r in runs]) >= 0.9
    assert np.mean([r.dr_low <= truth <= r.dr_high for r in runs]) >= 0.9
    # the logged estimate of the logging policy's own finds is what it found
    one = runs[0]
    assert one.supported_share == 1.0 and one.declarations == len(pop)
