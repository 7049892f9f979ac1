from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from iprisk.profiles import evaluate, mine_profiles
from iprisk.profiles.mining import Condition, _encode, beam_search
from tests.profiles.samples import TRAIN_UNTIL, declarations


@pytest.fixture(scope="module")
def proposals():
    return mine_profiles(declarations(), train_until=TRAIN_UNTIL, max_profiles=5, min_support=30)


def test_the_planted_rule_is_found_first(proposals) -> None:
    best = proposals[0]
    c = best.criteria
    assert (c.hs_prefixes, c.origin_countries, c.transport_modes) == (["6404"], ["KH"], ["post"])
    assert best.status == "proposed" and best.risk_level == 5
    assert best.valid_from == date(2021, 10, 1)
    ev = best.evidence
    assert ev is not None and ev.train_until == TRAIN_UNTIL
    assert 0.5 < ev.train_hit_rate < 0.7 and ev.train_lift > 10
    # measured on the later period (Q4), by the rule engine
    assert ev.test_from is not None and ev.test_from > TRAIN_UNTIL
    assert 0.45 < (ev.test_hit_rate or 0) < 0.75
    assert 0.01 < (ev.test_coverage or 0) < 0.03
    assert "HS 6404" in best.title and "lift" in best.rationale


def test_evidence_agrees_with_the_engine(proposals) -> None:
    frame = declarations()
    later = frame[frame["date"] > TRAIN_UNTIL].reset_index(drop=True)
    active = [p.model_copy(update={"status": "active"}) for p in proposals]
    matched = evaluate(later, active, check_validity=False).to_pandas()["matched_profiles"]
    for p in proposals:
        hit = matched.map(lambda ids, pid=p.id: pid in ids).to_numpy()
        assert p.evidence is not None and p.evidence.test_matched == hit.sum()
        assert p.evidence.test_hit_rate == pytest.approx(later["infringement"].to_numpy()[hit].mean())


def test_proposals_are_distinct_and_better_than_base(proposals) -> None:
    ids = [p.id for p in proposals]
    assert len(set(ids)) == len(ids) == 5
    base = declarations()["infringement"].mean()
    assert all(p.evidence is not None and p.evidence.train_hit_rate > base for p in proposals)


def test_no_signal_no_proposal() -> None:
    frame = declarations(5000, planted_rate=0.0, base_rate=0.0)
    assert mine_profiles(frame, train_until=TRAIN_UNTIL) == []


def test_beam_search_counts_match_direct_counts() -> None:
    frame = declarations(3000, seed=3)
    attrs = frame[["origin_country", "transport_mode", "office"]].astype("string")
    matrix, conditions = _encode(attrs, min_support=10, top_values=10, vpk_edges=None)
    y = frame["infringement"].to_numpy(dtype=float)
    found = beam_search(matrix, conditions, y, min_support=10, max_depth=2, beam_width=5)
    assert found
    for sg in found[:10]:
        mask = np.ones(len(frame), dtype=bool)
        for c in sg.conditions:
            assert isinstance(c, Condition)
            mask &= (frame[c.attribute] == c.value).to_numpy()
        assert sg.support == mask.sum() and sg.positives == y[mask].sum()
        assert len({c.group for c in sg.conditions}) == len(sg.conditions)


def test_each_flow_is_mined_on_its_own() -> None:
    frame = declarations(12_000, seed=5, planted_rate=0.03)  # nothing planted at import ...
    rng = np.random.default_rng(9)
    frame["flow"] = np.where(rng.random(len(frame)) < 0.5, "import", "export")
    rule = (frame["flow"] == "export") & frame["hs_code"].eq("950300") & frame["departure_country"].eq("HK")
    frame["infringement"] = rng.random(len(frame)) < np.where(rule, 0.5, 0.03)  # ... toys from HK at export
    best = mine_profiles(frame, train_until=TRAIN_UNTIL, max_profiles=3)[0]
    assert best.scope.flow == "export"
    assert (best.criteria.hs_prefixes, best.criteria.departure_countries) == (["950300"], ["HK"])
    assert best.evidence is not None and (best.evidence.test_hit_rate or 0) > 0.3


def test_propensity_weights_correct_a_biased_control_history() -> None:
    """Controls favoured the planted rule; weighting by 1 / propensity recovers the population's hit rate."""
    frame = declarations(30_000, seed=11)
    rng = np.random.default_rng(12)
    rule = (
        frame["hs_code"].str.startswith("6404")
        & frame["origin_country"].eq("KH")
        & frame["transport_mode"].eq("post")
    )
    frame["selection_propensity"] = np.where(rule, 0.9, 0.1)
    controlled = rng.random(len(frame)) < frame["selection_propensity"]
    truth = frame.loc[
        frame["hs_code"].str.startswith("6404") & (frame["date"] <= TRAIN_UNTIL), "infringement"
    ].mean()
    frame["infringement"] = frame["infringement"].where(controlled)  # labels only where controlled
    kwargs = {"train_until": TRAIN_UNTIL, "attributes": ["hs4"], "max_depth": 1, "max_profiles": 1}
    naive = mine_profiles(frame, **kwargs)[0]
    weighted = mine_profiles(frame, propensity="selection_propensity", **kwargs)[0]
    assert naive.criteria.hs_prefixes == weighted.criteria.hs_prefixes == ["6404"]
    assert naive.evidence is not None and weighted.evidence is not None
    assert abs(weighted.evidence.train_hit_rate - truth) < 0.02
    assert naive.evidence.train_hit_rate - truth > 0.1  # the controlled sample over-represents the rule
    assert "weighted by 1 / selection propensity" in weighted.rationale
