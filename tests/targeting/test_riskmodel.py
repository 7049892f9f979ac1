"""Empirical-Bayes risk features: the estimators recover what they should, on data with a known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from iprisk.targeting.riskmodel import _backfit, _log_multiplier, _mixture, fit_risk, value_bins


def test_value_bins_by_hand() -> None:
    edges = np.array([0.0, 1.0])
    got = value_bins(np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]), edges)
    assert got.tolist() == [0, 1, 1, 2, 2, 3]  # a value on an edge goes right; missing: its own bin


def test_mixture_recovers_a_minority_of_risky_parties() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    exposure = rng.gamma(0.5, 0.4, n)  # expected hits per party: mostly small, some large
    risky = rng.random(n) < 0.03
    hits = rng.poisson(np.where(risky, 20.0, 0.41) * exposure).astype(float)
    pi, hi, lo = _mixture(hits, exposure)
    assert abs(pi - 0.03) < 0.01 and abs(hi / 20 - 1) < 0.2 and abs(lo / 0.41 - 1) < 0.1, (pi, hi, lo)
    m = _log_multiplier(np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.05, 0.05, 2.0, 0.0]), pi, hi, lo)
    # one hit in 0.05 expected: most likely risky; one in 2 expected: an ordinary party (lo); unseen: the
    # prior mean
    assert m[1] > np.log(5) and abs(m[2] - np.log(lo)) < 0.3 and m[0] < 0
    assert np.isclose(np.exp(m[3]), pi * hi + (1 - pi) * lo)


def test_mixture_finds_nothing_where_parties_do_not_differ() -> None:
    rng = np.random.default_rng(2)
    exposure = rng.gamma(0.5, 0.4, 20_000)
    hits = rng.poisson(exposure).astype(float)
    pi, hi, lo = _mixture(hits, exposure)
    m = _log_multiplier(np.array([0.0, 1.0, 3.0]), np.array([0.5, 0.5, 1.0]), pi, hi, lo)
    assert np.all(np.abs(m) < 0.35), (pi, hi, lo, m)


def test_backfit_recovers_multiplicative_effects() -> None:
    rng = np.random.default_rng(3)
    n = 250_000
    a, b = rng.integers(0, 4, n), rng.integers(0, 6, n)
    fa, fb = np.array([0.5, 1.0, 2.0, 4.0]), np.array([1.0, 0.6, 1.5, 3.0, 0.3, 1.0])
    y = (rng.random(n) < 0.01 * fa[a] * fb[b]).astype(float)
    _, (ea, eb) = _backfit([(a, 4), (b, 6)], y, np.arange(n), prior=10.0)
    # effects are identified up to a constant per block: compare ratios (rare levels are shrunk a little)
    assert np.allclose(np.exp(ea - ea[1]), fa / fa[1], rtol=0.1), np.exp(ea - ea[1])
    assert np.allclose(np.exp(eb - eb[0]), fb / fb[0], rtol=0.15), np.exp(eb - eb[0])


def test_fit_risk_flags_risky_traders_and_cells() -> None:
    rng = np.random.default_rng(4)
    n = 60_000
    trader = rng.integers(0, 3000, n)
    hs = rng.choice(["610910", "640411", "950300"], n)
    risky = trader < 60  # 2 % of traders at 20x
    rate = 0.004 * np.where(hs == "640411", 4.0, 1.0) * np.where(risky, 20.0, 0.6)
    y = (rng.random(n) < np.minimum(rate, 1)).astype(float)
    frame = pd.DataFrame(
        {
            "trader_id": [f"T{t}" for t in trader],
            "hs_code": hs,
            "value": rng.lognormal(3, 0.5, n),
            "net_mass_kg": rng.lognormal(0, 0.5, n),
        }
    )
    fold = rng.integers(0, 5, n)
    state, feats = fit_risk(frame, y, fold, blocks=("hs6",), parties=("trader_id",), n_folds=5)
    goods = pd.Series(feats["goods_log_rate"]).groupby(hs).mean()
    assert goods["640411"] - goods["610910"] > np.log(2.5)  # the risky heading, x4
    eb = feats["trader_id_eb"]
    assert eb[risky].mean() > eb[~risky].mean() + 1.0
    mixture = state["parties"]["trader_id"]["mixture"]
    assert 0.01 < mixture["share"] < 0.05 and mixture["high"] > 5 * mixture["low"]
    assert set(feats) == {"goods_log_rate", "trader_id_eb", "eb_log_rate"}
    assert np.allclose(feats["eb_log_rate"], feats["goods_log_rate"] + eb)
