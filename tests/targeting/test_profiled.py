"""Risk-profile hits as features: counted as the engine counts them, in every path, saved with the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from iprisk.profiles import Profile, evaluate, profiles_from_data
from iprisk.targeting.batch import score_parquet
from iprisk.targeting.features import FeatureBuilder
from iprisk.targeting.profiled import PROFILE_FEATURES
from iprisk.targeting.scorer import LightGBMScorer
from tests.targeting.synthetic import declarations


def _profiles() -> list[Profile]:
    base = {"owner": "DE", "valid_from": "2019-01-01"}
    return profiles_from_data(
        [
            {**base, "id": "SHOES", "title": "shoes", "criteria": {"hs_prefixes": ["6403"]}, "risk_level": 2},
            {
                **base,
                "id": "BAGS-CN",
                "title": "bags from China",
                "criteria": {"hs_prefixes": ["4202"], "origin_countries": ["CN"]},
                "risk_level": 4,
                "status": "active",
            },
            {
                **base,
                "id": "AIR",
                "title": "air shoes",
                "criteria": {"hs_prefixes": ["64"], "transport_modes": ["air"]},
                "risk_level": 3,
                "status": "expired",
                "valid_to": "2019-06-30",  # expired: counted all the same (features ignore status and dates)
            },
        ]
    )


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return declarations(900, seed=11)


@pytest.fixture(scope="module")
def later() -> pd.DataFrame:
    return declarations(300, seed=12, start="2020-08-01")


@pytest.fixture(scope="module")
def fitted(train: pd.DataFrame) -> LightGBMScorer:
    return LightGBMScorer(n_estimators=20, profiles=_profiles()).fit(train, "infringement")


def _direct(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    flagged = evaluate(frame, _profiles(), only_active=False, check_validity=False)
    hits = np.array([len(x) for x in flagged.column("matched_profiles").to_pylist()], dtype=float)
    return hits, flagged.column("max_risk_level").to_numpy().astype(float)


def test_features_equal_a_direct_evaluate(
    fitted: LightGBMScorer, train: pd.DataFrame, later: pd.DataFrame
) -> None:
    assert set(PROFILE_FEATURES) <= set(fitted.feature_names_)
    hits, risk = _direct(later)
    assert hits.max() >= 2 and (hits == 0).any()  # the check can fail: several, one and no matches
    for data in (later, pa.Table.from_pandas(later, preserve_index=False)):
        X = fitted.builder_.transform(data)
        np.testing.assert_array_equal(X["profile_hits"].to_numpy(), hits)
        np.testing.assert_array_equal(X["profile_max_risk"].to_numpy(), risk)
    ref = fitted.builder_.transform_reference(later)
    pd.testing.assert_frame_equal(fitted.builder_.transform(later), ref, check_exact=True)
    # training rows get them too (no label involved, so nothing to keep out-of-fold)
    y = train["infringement"].astype(float).to_numpy()
    fb = FeatureBuilder(profiles=_profiles())
    np.testing.assert_array_equal(fb.fit_transform(train, y)["profile_hits"].to_numpy(), _direct(train)[0])


def test_without_profiles_nothing_changes(train: pd.DataFrame) -> None:
    y = train["infringement"].astype(float).to_numpy()
    plain = FeatureBuilder().fit(train, y)
    assert not set(PROFILE_FEATURES) & set(plain.feature_names_)
    assert "profiles" not in plain.to_state()["params"]
    assert FeatureBuilder(profiles=[]).fit(train, y).feature_names_ == plain.feature_names_


def test_save_load_round_trip_and_batch(fitted: LightGBMScorer, later: pd.DataFrame, tmp_path: Path) -> None:
    path = fitted.save(tmp_path / "model")
    loaded = LightGBMScorer.load(path)
    assert [p.id for p in loaded.profiles or []] == [p.id for p in _profiles()]
    assert loaded.builder_.profiles == _profiles()
    expected = fitted.score(later)
    np.testing.assert_array_equal(loaded.score(later), expected)
    # the streamed path (slices of the Parquet file) gives the same scores
    src = tmp_path / "later.parquet"
    pq.write_table(pa.Table.from_pandas(later, preserve_index=False), src)
    out = tmp_path / "scores.parquet"
    assert score_parquet(path, src, out, chunk_rows=128, threads=2) == len(later)
    np.testing.assert_array_equal(pq.read_table(out).column("score").to_numpy(), expected)


def test_explain_mentions_profile_hits(fitted: LightGBMScorer, later: pd.DataFrame) -> None:
    reasons = fitted.explain(later, top=1)
    hits, _ = _direct(later)
    named = np.array([any(n == "profile_hits" for n, _ in r) for r in reasons])
    assert named[hits > 0].all()
    assert all(len(r) == 1 for r, h in zip(reasons, hits, strict=True) if h == 0)


def test_profile_columns_are_required(fitted: LightGBMScorer, later: pd.DataFrame) -> None:
    from iprisk.errors import InvalidInput

    assert "transport_mode" in fitted.builder_.required_columns_
    with pytest.raises(InvalidInput) as info:
        fitted.score(later.drop(columns=["transport_mode"]))
    assert any(p.column == "transport_mode" for p in info.value.problems)
