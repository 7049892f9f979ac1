from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.selection import select


def _declarations(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "declaration_id": [f"D{i}" for i in range(n)],
            "office": rng.choice(["NLRTM", "DEHAM", "BEANR"], n),
            "date": rng.choice(pd.date_range("2021-03-01", periods=4).date, n),
        }
    )


def test_mandatory_then_scores_then_exploration() -> None:
    frame = pd.DataFrame(
        {"declaration_id": [f"D{i}" for i in range(100)], "office": "X", "date": "2021-03-01"}
    )
    scores = np.linspace(0, 1, 100)  # D99 is the riskiest
    mandatory = pd.DataFrame({"mandatory": [i in (3, 7) for i in range(100)]})
    out = select(frame, scores, mandatory, capacity=22, exploration=0.1, seed=1)
    assert out["selected"].sum() == 22
    assert set(out.loc[out["reason"] == "mandatory", "declaration_id"]) == {"D3", "D7"}
    # R = 20 controls left, E = 2 random: the 18 highest scores are sure picks
    assert set(out.loc[out["reason"] == "score", "declaration_id"]) == {f"D{i}" for i in range(82, 100)}
    explored = out[out["reason"] == "exploration"]
    assert len(explored) == 2 and explored["propensity"].eq(2 / 80).all()
    assert out.loc[out["reason"].isin(["mandatory", "score"]), "propensity"].eq(1).all()
    assert out.loc[~out["selected"], "propensity"].eq(2 / 80).all()
    assert out["propensity"].sum() == pytest.approx(22)


def test_capacity_per_group_and_share() -> None:
    frame = _declarations(3000)
    scores = np.random.default_rng(1).random(3000)
    out = select(frame, scores, capacity=7, exploration=0.05, seed=2)
    per_group = out.groupby([frame["office"], frame["date"]])["selected"].sum()
    assert (per_group == 7).all()
    out = select(frame, scores, capacity=0.1, exploration=0.05, seed=2, by=["office"])
    sizes = frame.groupby("office").size()
    assert (
        out.groupby(frame["office"])["selected"].sum().to_dict()
        == (sizes * 0.1).round().astype(int).to_dict()
    )
    out = select(frame, scores, capacity={"NLRTM": 3, "DEHAM": 1}, exploration=0.0, seed=2)
    per_group = out.groupby([frame["office"], frame["date"]])["selected"].sum()
    assert (
        per_group.xs("NLRTM").eq(3).all()
        and per_group.xs("DEHAM").eq(1).all()
        and per_group.xs("BEANR").eq(0).all()
    )


def test_mandatory_hits_beyond_capacity_are_all_controlled() -> None:
    frame = pd.DataFrame({"declaration_id": list("abcd"), "office": "X", "date": "d"})
    out = select(
        frame, [0.1, 0.2, 0.3, 0.4], pd.DataFrame({"max_risk_level": [5, 5, 5, 1]}), capacity=2, seed=0
    )
    assert out["selected"].tolist() == [True, True, True, False]
    assert out["over_capacity"].tolist() == [True, True, True, False]


def test_recorded_propensities_match_selection_frequencies() -> None:
    """Run the random policy many times: each declaration's frequency converges to its propensity."""
    frame = _declarations(600, seed=4)
    scores = np.random.default_rng(5).random(600)
    mandatory = pd.DataFrame({"mandatory": np.random.default_rng(6).random(600) < 0.02})
    runs = 300
    counts = np.zeros(600)
    propensity = None
    for seed in range(runs):
        out = select(frame, scores, mandatory, capacity=5, exploration=0.3, seed=seed)
        counts += out["selected"].to_numpy()
        p = out["propensity"].to_numpy()
        assert propensity is None or np.allclose(p, propensity)  # propensities do not depend on the draw
        propensity = p
    assert propensity is not None
    assert ((propensity > 0) & (propensity <= 1)).all()  # exploration keeps every propensity positive
    # group declarations by propensity level: frequencies agree within sampling error
    levels = pd.Series(counts / runs).groupby(np.round(propensity, 6))
    for level, freq in levels:
        se = np.sqrt(level * (1 - level) / (runs * len(freq))) + 1e-9
        assert abs(freq.mean() - level) < 5 * se + 1e-12, (level, freq.mean())


def test_bad_arguments() -> None:
    frame = _declarations(10)
    with pytest.raises(ValueError, match="scores"):
        select(frame, [0.1], capacity=1)
    with pytest.raises(ValueError, match="exploration"):
        select(frame, np.zeros(10), capacity=1, exploration=2)
    with pytest.raises(KeyError, match="office"):
        select(frame.drop(columns="office"), np.zeros(10), capacity=1)
    with pytest.raises(ValueError, match="capacity"):
        select(frame, np.zeros(10), capacity=2.5)


def test_with_the_rule_engine_output(tmp_path) -> None:
    """Store -> active profiles -> engine -> selection: a mandatory profile's hits are all controlled."""
    import pyarrow as pa

    from iprisk.profiles import evaluate
    from iprisk.store import ProfileStore
    from tests.profiles.samples import declarations, profile

    frame = declarations(4000, seed=8)
    with ProfileStore(f"sqlite:///{tmp_path / 'ops.sqlite'}") as store:
        store.add(profile("MUST", mandatory=True, risk_level=5), by="ana")
        store.add(profile("SOFT", criteria={"origin_countries": ["VN"]}, risk_level=2), by="ana")
        for pid in ("MUST", "SOFT"):
            for action, admin in (("propose", None), ("approve", "NL"), ("activate", None)):
                store.apply(pid, action, admin=admin, by="ana")
        active = store.active()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    matches = evaluate(table, active)
    scores = np.random.default_rng(0).random(len(frame))
    out = select(table, scores, matches, capacity=3, exploration=0.1, seed=0)
    must = matches.column("matched_profiles").to_pandas().map(lambda ids: "MUST" in ids).to_numpy()
    assert must.sum() > 0
    assert out.loc[must, "selected"].all() and out.loc[must, "reason"].eq("mandatory").all()
    assert out["declaration_id"].tolist() == frame["declaration_id"].tolist()
