"""Simulated referrals: the hit rate measured from feedback equals the world's truth within its interval."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow.compute as pc
import pytest

from iprisk.formats import DECLARATIONS
from iprisk.referrals.kpis import kpis, referral_rows
from iprisk.referrals.labels import feedback_labels, hit_rates, labelled_cases
from iprisk.referrals.network import PortNetwork
from iprisk.referrals.simulated import ReferralWorld, SimulatedReferral, simulate_referrals

WORLD = ReferralWorld(fake_rate={"CNSHA": 0.8, "CNNGB": 0.05}, default_fake_rate=0.35)


@pytest.fixture(scope="module")
def simulated() -> list[SimulatedReferral]:
    from iprisk.referrals.network import default_network

    return simulate_referrals(WORLD, default_network(), 3000, start=date(2026, 1, 1), seed=7)


def test_the_hit_rate_from_feedback_is_the_worlds_truth(simulated: list[SimulatedReferral]) -> None:
    rates = hit_rates(feedback_labels(s.referral for s in simulated), by=["sending_port"]).set_index(
        "sending_port"
    )
    for port in ("CNSHA", "CNNGB"):
        row = rates.loc[port]
        assert row["low"] <= WORLD.truth(port) <= row["high"], (port, row.to_dict())
    # the other ports share one truth: pooled, the interval is narrow and still holds it
    others = feedback_labels(
        s.referral for s in simulated if s.referral.warning.sending_port not in WORLD.fake_rate
    )
    pooled = hit_rates(others.assign(all="all"), by=["all"]).iloc[0]
    assert pooled["low"] <= 0.35 <= pooled["high"] and pooled["high"] - pooled["low"] < 0.06
    # and the measurement is not trivially wide: the two extreme ports are told apart
    assert rates.loc["CNNGB", "high"] < rates.loc["CNSHA", "low"]


def test_kpis_of_the_simulated_quarter_add_up(
    simulated: list[SimulatedReferral], network: PortNetwork
) -> None:
    refs = [s.referral for s in simulated]
    table = kpis(referral_rows(refs), now=datetime(2026, 7, 1, tzinfo=UTC), quarter="2026Q1")
    assert pc.sum(table["sent"]).as_py() == 3000
    seized = sum(1 for r in refs if r.current_feedback and r.current_feedback.result == "seized")
    assert pc.sum(table["seized"]).as_py() == seized
    forgotten = sum(1 for r in refs if not r.feedback)
    assert pc.sum(table["overdue_now"]).as_py() == forgotten  # open without feedback, long past the deadline
    assert 0.1 < forgotten / 3000 < 0.2  # the world's 15 %


def test_controlled_referrals_are_labelled_cases_for_targeting(simulated: list[SimulatedReferral]) -> None:
    cases = labelled_cases(s.referral for s in simulated)
    assert cases.schema == DECLARATIONS.arrow_schema
    truth = {f"referral:{s.referral.id}": s.fake for s in simulated}
    ids, labels = cases["declaration_id"].to_pylist(), cases["infringement"].to_pylist()
    assert all(truth[d] == i for d, i in zip(ids, labels, strict=True)) and any(labels) and not all(labels)
    assert cases.num_rows == sum(
        1 for s in simulated if s.referral.current_feedback and s.referral.current_feedback.controlled
    )
