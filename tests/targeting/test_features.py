from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from iprisk.errors import InvalidInput, NotFitted
from iprisk.targeting.features import DEFAULT_KEYS, DEFAULT_PAIRS, LANE_KEYS, LANE_PAIRS, FeatureBuilder
from iprisk.targeting.inputs import label_values
from tests.targeting.synthetic import declarations


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return declarations(800, seed=1)


def _labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["infringement"].astype(float).to_numpy()


def test_own_label_never_moves_own_features(train: pd.DataFrame) -> None:
    y = _labels(train)
    before = FeatureBuilder().fit_transform(train, y)
    i = 123
    flipped = y.copy()
    flipped[i] = 1 - flipped[i]
    after = FeatureBuilder().fit_transform(train, flipped)
    pd.testing.assert_series_equal(before.iloc[i], after.iloc[i])
    # ... while it does move other rows' encodings (the check can fail)
    rate = "trader_id_target_rate"
    same_trader = (train["trader_id"] == train["trader_id"].iloc[i]).to_numpy()
    assert not np.allclose(before[rate][same_trader], after[rate][same_trader])


def test_history_sees_only_earlier_dates(train: pd.DataFrame) -> None:
    y = _labels(train)
    base = FeatureBuilder(pairs=()).fit_transform(train, y)
    j = len(train) - 1  # latest date
    flipped = y.copy()
    flipped[j] = 1 - flipped[j]
    after = FeatureBuilder(pairs=()).fit_transform(train, flipped)
    hist_cols = [c for c in base.columns if "_past_" in c]
    assert hist_cols
    earlier_or_same = (pd.to_datetime(train["date"]) <= pd.to_datetime(train["date"].iloc[j])).to_numpy()
    pd.testing.assert_frame_equal(base.loc[earlier_or_same, hist_cols], after.loc[earlier_or_same, hist_cols])
    # a row's history equals the count of the same trader's rows on strictly earlier dates
    k = 500
    d = pd.to_datetime(train["date"])
    mask = (train["trader_id"] == train["trader_id"].iloc[k]) & (d < d.iloc[k])
    assert base["trader_id_past_inspections"].iloc[k] == mask.sum()
    assert base["trader_id_past_hits"].iloc[k] == y[mask.to_numpy()].sum()


def test_transform_uses_training_statistics(train: pd.DataFrame) -> None:
    y = _labels(train)
    fb = FeatureBuilder(pairs=()).fit(train, y)
    new = declarations(50, seed=2, start="2020-08-01")
    new.loc[0, "trader_id"] = "NEVER-SEEN"
    X = fb.transform(new)
    assert X.columns.tolist() == fb.feature_names_
    assert X["trader_id_count"].iloc[0] == 0
    assert X["trader_id_target_rate"].iloc[0] == pytest.approx(fb.prior_)
    t = new["trader_id"].iloc[1]
    seen = (train["trader_id"] == t).to_numpy()
    assert X["trader_id_count"].iloc[1] == seen.sum()
    assert X["trader_id_past_hits"].iloc[1] == y[seen].sum()
    # with labels of the new rows, histories add earlier labelled new rows (never the row itself)
    X2 = fb.transform(new, new["infringement"].astype(float).to_numpy())
    assert (X2["trader_id_past_inspections"] >= X["trader_id_past_inspections"]).all()
    assert (X2["trader_id_target_rate"] == X["trader_id_target_rate"]).all()
    last = new.index[-1]
    d = pd.to_datetime(new["date"])
    same = (new["trader_id"] == new["trader_id"].iloc[last]) & (d < d.iloc[last])
    extra = X2["trader_id_past_inspections"].iloc[last] - X["trader_id_past_inspections"].iloc[last]
    assert extra == same.sum()


def test_unit_value_ratio_to_hs6_norm(train: pd.DataFrame) -> None:
    fb = FeatureBuilder(pairs=()).fit(train, _labels(train))
    row = train.iloc[[0]].copy()
    X = fb.transform(row)
    norm = dict(zip(fb.hs6_unit_value_["codes"], fb.hs6_unit_value_["median"], strict=True))[
        row["hs_code"].iloc[0]
    ]
    expected = np.log1p(row["value"].iloc[0]) - np.log1p(row["net_mass_kg"].iloc[0]) - norm
    assert X["value_per_kg_vs_hs6"].iloc[0] == pytest.approx(expected)


def test_state_round_trip_is_json(train: pd.DataFrame) -> None:
    fb = FeatureBuilder().fit(train, _labels(train))
    state = json.loads(json.dumps(fb.to_state()))
    new = declarations(40, seed=3, start="2020-08-01")
    pd.testing.assert_frame_equal(FeatureBuilder.from_state(state).transform(new), fb.transform(new))


def test_categoricals_fixed_at_fit(train: pd.DataFrame) -> None:
    fb = FeatureBuilder(pairs=()).fit(train, _labels(train))
    new = declarations(10, seed=4)
    new.loc[0, "transport_mode"] = "rail"  # unseen in training
    X = fb.transform(new)
    assert list(X["transport_mode_cat"].cat.categories) == ["air", "sea"]
    assert pd.isna(X["transport_mode_cat"].iloc[0])


def test_errors(train: pd.DataFrame) -> None:
    with pytest.raises(NotFitted):
        FeatureBuilder().transform(train)
    fb = FeatureBuilder(pairs=()).fit(train, _labels(train))
    with pytest.raises(InvalidInput) as exc:
        fb.transform(train.drop(columns=["trader_id", "hs_code"]))
    assert {p.column for p in exc.value.problems} == {"trader_id", "hs_code"}
    with pytest.raises(InvalidInput, match="label-binary"):
        FeatureBuilder().fit(train, np.full(len(train), 2.0))
    with pytest.raises(InvalidInput, match="maybe"):
        label_values(pd.Series(["1", "maybe"]))
    np.testing.assert_array_equal(label_values(pd.Series([True, None, False])), [1, np.nan, 0])


def test_lane_keys_and_their_rates_are_out_of_fold(train: pd.DataFrame) -> None:
    from iprisk.targeting.inputs import key_columns

    frame = train.assign(departure_port="", arrival_port="")
    frame.loc[:9, ["departure_port", "arrival_port"]] = ["CNSHA", "DEHAM"]
    frame.loc[10:19, "departure_port"] = "CNSHA"  # one port only: the country lane
    keys = key_columns(frame, ["lane", ("lane", "hs2")])
    assert (keys["lane"][:10] == "CNSHA -> DEHAM").all()
    assert keys["lane"].iloc[15] == f"{frame['departure_country'].iloc[15]} -> {frame['office'].iloc[15]}"
    assert keys["lane__hs2"].iloc[0] == f"CNSHA -> DEHAM|{frame['hs_code'].iloc[0][:2]}"
    # out-of-fold like the other rates: a row's own label moves none of its lane features
    y = _labels(train)
    cols = ["lane_target_rate", "lane_count", "lane__hs2_target_rate", "lane__hs2_count"]
    lanes = {"keys": (*DEFAULT_KEYS, *LANE_KEYS), "pairs": (*DEFAULT_PAIRS, *LANE_PAIRS)}
    before = FeatureBuilder(**lanes).fit_transform(train, y)[cols]
    i = 321
    flipped = y.copy()
    flipped[i] = 1 - flipped[i]
    after = FeatureBuilder(**lanes).fit_transform(train, flipped)[cols]
    pd.testing.assert_series_equal(before.iloc[i], after.iloc[i])
    lane = key_columns(train, ["lane"])["lane"]
    same = (lane == lane.iloc[i]).to_numpy()
    assert not np.allclose(before["lane_target_rate"][same], after["lane_target_rate"][same])
