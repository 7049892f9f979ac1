from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from iprisk.errors import InvalidInput, NotFitted, NotFound
from iprisk.evaluation.metrics import auc
from iprisk.targeting import LightGBMScorer, check_scorer, fit_tuned, format_reasons
from tests.targeting.synthetic import declarations

FAST = {"n_estimators": 40, "learning_rate": 0.1, "num_leaves": 15, "num_threads": 1}


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return declarations(1200, seed=1)


@pytest.fixture(scope="module")
def test() -> pd.DataFrame:
    return declarations(600, seed=2, start="2020-07-01", days=60)


@pytest.fixture(scope="module")
def fitted(train: pd.DataFrame) -> LightGBMScorer:
    return LightGBMScorer(**FAST).fit(train)


def test_conformance(train: pd.DataFrame, test: pd.DataFrame, tmp_path: Path) -> None:
    check_scorer(
        lambda: LightGBMScorer(**FAST), train, "infringement", test, tmp_path, load=LightGBMScorer.load
    )


def test_learns_the_planted_signal(fitted: LightGBMScorer, test: pd.DataFrame) -> None:
    assert auc(test["infringement"].astype(int), fitted.score(test)) > 0.7  # chance is 0.5


def test_shuffled_training_labels_give_chance_auc(train: pd.DataFrame, test: pd.DataFrame) -> None:
    shuffled = np.random.default_rng(0).permutation(train["infringement"].to_numpy())
    scores = LightGBMScorer(**FAST).fit(train, shuffled).score(test)
    assert abs(auc(test["infringement"].astype(int), scores) - 0.5) < 0.08


def test_saved_model_is_text_and_json(fitted: LightGBMScorer, train: pd.DataFrame, tmp_path: Path) -> None:
    path = fitted.save(tmp_path / "m")
    assert (path / "model.txt").read_text().startswith("tree")
    meta = json.loads((path / "meta.json").read_text())
    state = json.loads((path / "features.json").read_text())
    assert state["feature_names_"] == fitted.feature_names_ and "stats_" in state
    assert meta["training_period"] == [str(train["date"].min()), str(train["date"].max())]
    assert len(meta["training_fingerprint"]) == 64
    assert meta["feature_names"] == fitted.feature_names_
    assert meta["params"]["n_estimators"] == FAST["n_estimators"]
    # the fingerprint follows the training data
    other = LightGBMScorer(**FAST).fit(train.iloc[:-1])
    assert other.fingerprint_ != fitted.fingerprint_
    with pytest.raises(NotFound):
        LightGBMScorer.load(tmp_path / "nothing-here")


def test_explain_names_the_largest_contributions(fitted: LightGBMScorer, test: pd.DataFrame) -> None:
    rows = test.iloc[:20]
    reasons = fitted.explain(rows, top=3)
    assert len(reasons) == 20 and all(len(r) == 3 for r in reasons)
    contrib = np.asarray(fitted.booster_.predict(fitted.features_of(rows), pred_contrib=True))
    for i, r in enumerate(reasons):
        values = [v for _, v in r]
        assert values == sorted(values, reverse=True)
        assert values[0] == pytest.approx(contrib[i, :-1].max())
        assert all(name in fitted.feature_names_ for name, _ in r)
    assert fitted.explain(test.iloc[:300], top=3, threads=2) == fitted.explain(test.iloc[:300], top=3)
    assert format_reasons([("trader_id_target_rate", 1.234), ("hs6_count", -0.5)]) == (
        "trader_id_target_rate=+1.23; hs6_count=-0.50"
    )


def test_value_aware_priority(train: pd.DataFrame, test: pd.DataFrame) -> None:
    scorer = LightGBMScorer(**FAST, value_aware=True).fit(train)
    np.testing.assert_allclose(scorer.priority(test), scorer.score(test) * test["value"].to_numpy())
    # the call may choose otherwise without changing the model
    np.testing.assert_array_equal(scorer.priority(test, value_aware=False), scorer.score(test))
    assert scorer.value_aware is True


def test_fit_tuned_refits_with_the_chosen_trees(train: pd.DataFrame, test: pd.DataFrame) -> None:
    final, rounds = fit_tuned(
        train, test, **{**FAST, "n_estimators": 60, "learning_rate": 0.2, "early_stopping_rounds": 10}
    )
    assert 1 <= rounds <= 60
    assert final.n_estimators == rounds
    assert final.training_rows_ == len(train) + len(test)


def test_bad_inputs(train: pd.DataFrame) -> None:
    with pytest.raises(NotFitted):
        LightGBMScorer().explain(train)
    with pytest.raises(InvalidInput, match="label column"):
        LightGBMScorer(**FAST).fit(train, "no_such_column")
    with pytest.raises(InvalidInput, match="label-classes"):
        LightGBMScorer(**FAST).fit(train, np.zeros(len(train)))


class _Unfitted:
    """A broken scorer: fit returns None."""

    def fit(self, declarations: Any, labels: Any = None) -> None:
        return None

    def score(self, declarations: Any) -> np.ndarray:
        raise NotFitted("never fitted")


def test_conformance_check_catches_a_broken_scorer(train: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="fit\\(\\) must return self"):
        check_scorer(_Unfitted, train, "infringement", train, tmp_path)
