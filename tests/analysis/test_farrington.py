"""Farrington flexible: the R ``surveillance`` alarms on a public series, the GLM against statsmodels, and the
algorithm's rules (seasonal blocks, reweighting, too few cases) on series built by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from iprisk.analysis import farrington_flexible
from iprisk.analysis.farrington import (
    FARRINGTON_COLUMNS,
    FarringtonControl,
    _blocks,
    _fit,
    _irls,
    reference_points,
)
from tests.analysis.conftest import shared_data


def _salmonella() -> tuple[pd.Series, int, pd.Series]:
    """Salmonella Newport in Germany: training weeks without their outbreak cases, then the raw test weeks
    (as the reference was produced), the first test position, and R's alarms on the test weeks."""
    folder = shared_data("surveillance-reference")
    train = pd.read_csv(folder / "salmonella_train.csv", index_col=0, parse_dates=True)
    test = pd.read_csv(folder / "salmonella_test.csv", index_col=0, parse_dates=True)
    expected = pd.read_csv(folder / "expected" / "FarringtonFlexible_pred.csv", index_col=0, parse_dates=True)
    series = pd.concat([train["n_cases"] - train["n_outbreak_cases"], test["n_cases"]])
    return series, len(train), expected["alarm"].astype(bool)


def test_the_alarms_of_r_surveillance_on_salmonella_newport() -> None:
    series, first, r_alarms = _salmonella()
    out = farrington_flexible(
        series, 52, start=first, b=3, w=3, alpha=0.01, weights_threshold=2.58, past_periods_not_included=26
    )
    assert list(out.columns) == list(FARRINGTON_COLUMNS)
    assert out.index.equals(r_alarms.index)
    ours = set(out.index[out["alarm"]])
    theirs = set(r_alarms.index[r_alarms])
    assert ours == theirs, (sorted(ours - theirs), sorted(theirs - ours))
    assert len(theirs) == 10
    outbreak = pd.to_datetime(["2011-11-07", "2011-11-14", "2011-11-21", "2011-12-19"])
    assert set(outbreak) <= ours
    # an alarm is a count above its threshold, with enough cases
    alarms = out[out["alarm"]]
    assert (alarms["observed"] > alarms["upperbound"]).all() and (alarms["score"] > 1).all()


def test_weekly_reference_points_follow_the_calendar_as_r_does() -> None:
    dates = pd.date_range("2004-01-05", "2012-12-31", freq="7D")
    k = dates.get_loc(pd.Timestamp("2011-08-29"))
    # 2010-08-29 is a Sunday: the Monday after; 2008-08-29 a Friday: the Monday after (3 days, not 4)
    assert [dates[i].date().isoformat() for i in reference_points(k, 52, 3, dates)] == [
        "2010-08-30",
        "2009-08-31",
        "2008-09-01",
    ]
    k = dates.get_loc(pd.Timestamp("2011-01-03"))  # three years back crosses 29 February 2008: 157 weeks
    assert k - reference_points(k, 52, 3, dates)[2] == 157
    assert reference_points(20, 4, 2) == [16, 12]
    with pytest.raises(ValueError, match="history"):
        reference_points(5, 4, 2)


def test_quarterly_blocks_are_the_quarters_of_the_year() -> None:
    # b = 2 years, no window, 4 periods: the window's block (4) holds the same quarter, blocks 1-3 the others
    block = _blocks(k=12, refs=[8, 4], w=0, no_periods=4, n=13)
    assert block[4:13].tolist() == [4, 1, 2, 3, 4, 1, 2, 3, 4]
    assert np.isnan(block[:4]).all()
    classic = _blocks(k=20, refs=[16, 12], w=1, no_periods=1, n=21)
    assert np.flatnonzero(classic == 1).tolist() == [11, 12, 13, 15, 16, 17, 19, 20]


def test_the_glm_matches_statsmodels_with_weights() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(20.0)
    x = np.column_stack([np.ones_like(t), t, (t % 4 == 0).astype(float)])
    y = rng.poisson(np.exp(1.5 + 0.03 * t)[None, :] * np.ones((3, 1))).astype(float)
    weights = rng.uniform(0.2, 1.5, (3, 20))
    beta, mu, cov = _irls(y, x, weights)
    for s in range(3):
        ref = sm.GLM(y[s], x, family=sm.families.Poisson(), var_weights=weights[s]).fit(scale="X2")
        assert beta[s] == pytest.approx(ref.params, rel=1e-6)
        assert mu[s] == pytest.approx(ref.mu, rel=1e-6)
        assert cov[s] * ref.scale == pytest.approx(ref.cov_params(), rel=1e-5)
    fit = _fit(y, np.ones_like(y, dtype=bool), x, np.arange(3), FarringtonControl(reweight=False))
    ref = sm.GLM(y[0], x, family=sm.families.Poisson()).fit(scale="X2")
    assert fit.dispersion[0] == pytest.approx(ref.scale, rel=1e-6)


def _quarterly(seed: int, n: int = 16, level: float = 30.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    season = np.array([0.9, 0.95, 1.0, 1.15])[np.arange(n) % 4]
    return rng.poisson(level * season).astype(float)


def test_a_quarterly_surge_is_an_alarm_and_calm_quarters_are_not() -> None:
    y = _quarterly(2)
    y[13] *= 3
    out = farrington_flexible(y, 4, b=2, w=0, no_periods=4)
    assert out.index.tolist() == list(range(8, 16))
    assert out.loc[13, "alarm"] and out["alarm"].sum() == 1
    assert out.loc[13, "p_value"] < 1e-3


def test_seasonal_blocks_expect_a_peak_quarter() -> None:
    y = np.tile([10.0, 10.0, 10.0, 25.0], 4) + np.random.default_rng(0).poisson(2, 16)
    seasonal = farrington_flexible(y, 4, b=2, w=0, no_periods=4)
    assert not seasonal["alarm"].any()
    assert seasonal.loc[15, "expected"] == pytest.approx((y[7] + y[11]) / 2)  # the Q4 block: past Q4s


def test_reweighting_keeps_a_past_outbreak_from_hiding_the_next() -> None:
    rng = np.random.default_rng(5)
    y = rng.poisson(20, 48).astype(float)  # monthly
    y[33] = 90.0  # an outbreak a year before, in the reference window
    y[45] = 40.0
    flagged = farrington_flexible(y, 12, b=3, w=3, start=45)
    hidden = farrington_flexible(y, 12, b=3, w=3, start=45, reweight=False)
    assert flagged.loc[45, "alarm"] and not hidden.loc[45, "alarm"]
    assert flagged.loc[45, "phi"] < 2 < hidden.loc[45, "phi"]


def test_too_few_recent_cases_raise_no_alarm() -> None:
    y = np.zeros(16)
    y[15] = 4.0  # 4 cases in the last four quarters: below limit54 = (5, 4)
    out = farrington_flexible(y, 4, b=2, w=0, no_periods=4)
    assert not out["alarm"].any() and np.isnan(out.loc[15, "upperbound"])
    y[14] = 2.0  # now 6: a count out of nothing is an alarm
    assert farrington_flexible(y, 4, b=2, w=0, no_periods=4).loc[15, "alarm"]


def test_the_negative_binomial_thresholds() -> None:
    y = _quarterly(3)
    y[15] = 80.0
    for method in ("nbPlugin", "muan"):
        out = farrington_flexible(y, 4, b=2, w=0, no_periods=4, threshold_method=method)
        assert out.loc[15, "alarm"] and out.loc[15, "upperbound"] == np.floor(out.loc[15, "upperbound"])
    plug = farrington_flexible(y, 4, b=2, w=0, no_periods=4, threshold_method="nbPlugin")
    muan = farrington_flexible(y, 4, b=2, w=0, no_periods=4, threshold_method="muan")
    assert (muan["upperbound"] >= plug["upperbound"]).all()  # muan also bounds the uncertainty of mu0


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="alpha"):
        FarringtonControl(alpha=1.5)
    with pytest.raises(ValueError, match="threshold_method"):
        FarringtonControl(threshold_method="exact")
    with pytest.raises(ValueError, match="dates"):
        farrington_flexible([1.0, 2.0], 4, dates=pd.date_range("2020-01-01", periods=3, freq="QS"))
