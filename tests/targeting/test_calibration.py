import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from iprisk.errors import IntegrityError, InvalidInput
from iprisk.simulate import default_scenario, simulate
from iprisk.targeting import (
    Calibrator,
    LightGBMScorer,
    fit_calibrator,
    ranks,
    score_batches,
    score_declarations,
)
from iprisk.targeting.model_files import write_digest
from iprisk.targeting.scorer import FEATURES_FILE, META_FILE, MODEL_FILE
from tests.targeting.synthetic import declarations


def _miscalibrated(n: int = 40_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores whose true probability is sigmoid(1.5 logit(s) + 0.8): too low and too flat."""
    rng = np.random.default_rng(seed)
    s = 1 / (1 + np.exp(-rng.normal(-4, 1, n)))
    truth = 1 / (1 + np.exp(-(1.5 * np.log(s / (1 - s)) + 0.8)))
    y = (rng.uniform(size=n) < truth).astype(float)
    return s, truth, y


def test_platt_recovers_the_map_the_outcomes_were_drawn_with():
    s, _, y = _miscalibrated(200_000)
    c = fit_calibrator(s, y, "platt")
    assert c.slope == pytest.approx(1.5, abs=0.08)
    assert c.intercept == pytest.approx(0.8, abs=0.35)
    assert (c.rows, c.hits) == (len(y), int(y.sum()))


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_moves_scores_towards_the_true_probabilities(method):
    s, _, y = _miscalibrated()
    c = fit_calibrator(s, y, method)
    fresh, fresh_truth, _ = _miscalibrated(seed=1)  # applied to other rows than it was fitted on
    before = np.mean((fresh - fresh_truth) ** 2)
    after = np.mean((c.apply(fresh) - fresh_truth) ** 2)
    assert after < 0.5 * before
    assert np.all(np.diff(c.apply(np.sort(fresh))) >= 0)  # monotone


def test_platt_keeps_the_ranking_and_isotonic_clips_outside_its_knots():
    s, _, y = _miscalibrated()
    platt = fit_calibrator(s, y, "platt")
    grid = np.linspace(0.001, 0.5, 500)
    assert np.all(np.diff(platt.apply(grid)) > 0)
    iso = fit_calibrator(s, y, "isotonic")
    assert iso.apply(np.array([0.0]))[0] == iso.knots_y[0]
    assert iso.apply(np.array([1.0]))[0] == iso.knots_y[-1]
    assert all(0 <= v <= 1 for v in iso.knots_y)


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_a_calibrator_round_trips_through_json(method):
    s, _, y = _miscalibrated(5_000)
    c = fit_calibrator(s, y, method)
    again = Calibrator.from_data(json.loads(json.dumps(c.to_data())))
    assert again == c
    assert np.array_equal(again.apply(s), c.apply(s))


def test_bad_inputs_are_refused_with_the_rule_and_the_row():
    s, _, y = _miscalibrated(1_000)
    with pytest.raises(InvalidInput) as e:
        fit_calibrator(s, y, "beta")
    assert e.value.problems[0].rule == "calibration-method"
    bad = s.copy()
    bad[7] = 1.5
    with pytest.raises(InvalidInput) as e:
        fit_calibrator(bad, y)
    assert (e.value.problems[0].rule, e.value.problems[0].row) == ("probability", 8)
    labels = y.copy()
    labels[3] = 0.5
    with pytest.raises(InvalidInput) as e:
        fit_calibrator(s, labels)
    assert (e.value.problems[0].rule, e.value.problems[0].row) == ("label", 4)
    with pytest.raises(InvalidInput, match="shape"):
        fit_calibrator(s, y[:-1])
    few = np.zeros(len(s))
    few[:4] = 1
    with pytest.raises(InvalidInput) as e:
        fit_calibrator(s, few)
    assert e.value.problems[0].rule == "too-few-outcomes"
    with pytest.raises(InvalidInput):
        Calibrator.from_data({"method": "magic", "rows": 1, "hits": 0})


# ---------------------------------------------------------------------------- the calibrator in the scorer
FAST = {"n_estimators": 30, "num_leaves": 7, "num_threads": 1}


@pytest.fixture(scope="module")
def calibrated() -> tuple[LightGBMScorer, pd.DataFrame]:
    """A scorer calibrated on a later period (labels of a different, lower-rate world: a real shift)."""
    scorer = LightGBMScorer(**FAST).fit(declarations(1500, seed=1), "infringement")
    later = declarations(1500, seed=2, start="2020-07-01")
    later["infringement"] &= np.random.default_rng(0).random(len(later)) < 0.5  # half the hits missed
    return scorer.calibrate(later, "infringement"), declarations(800, seed=3, start="2021-01-01")


def test_calibration_keeps_the_order_and_moves_the_scores(calibrated):
    scorer, new = calibrated
    raw, cal = scorer.score(new, calibrated=False), scorer.score(new)
    assert scorer.calibrator_ is not None and scorer.calibrator_.method == "platt"
    assert np.array_equal(ranks(raw), ranks(cal))
    assert cal.mean() < 0.8 * raw.mean()  # calibrated on a period with half the hits
    np.testing.assert_array_equal(cal, scorer.calibrator_.apply(raw))


def test_every_scoring_path_applies_the_stored_calibrator(calibrated, tmp_path: Path):
    scorer, new = calibrated
    expected = scorer.score(new)
    table = pa.Table.from_pandas(new, preserve_index=False)
    batches = list(score_batches(scorer, table.to_batches(max_chunksize=300), threads=2))
    np.testing.assert_array_equal(pa.Table.from_batches(batches).column("score").to_numpy(), expected)
    reloaded = LightGBMScorer.load(scorer.save(tmp_path / "m"))
    assert reloaded.calibrator_ == scorer.calibrator_
    np.testing.assert_array_equal(reloaded.score(new), expected)
    scores = score_declarations(tmp_path / "m", table, top=0)
    np.testing.assert_array_equal(scores.column("score").to_numpy(), expected)
    np.testing.assert_array_equal(scores.column("rank").to_numpy(), ranks(expected))


def test_the_calibrator_is_digest_checked_and_old_folders_score_raw(calibrated, tmp_path: Path):
    scorer, new = calibrated
    folder = scorer.save(tmp_path / "m")
    meta_path = folder / META_FILE
    meta = json.loads(meta_path.read_text())
    meta["calibration"]["intercept"] += 1.0
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IntegrityError):
        LightGBMScorer.load(folder)
    # a folder written before calibration existed: no entry in meta.json (and a digest that matches)
    del meta["calibration"]
    meta_path.write_text(json.dumps(meta))
    write_digest(folder, (MODEL_FILE, META_FILE, FEATURES_FILE))
    old = LightGBMScorer.load(folder)
    assert old.calibrator_ is None
    np.testing.assert_array_equal(old.score(new), scorer.score(new, calibrated=False))


def test_a_score_that_ranks_backwards_is_not_calibrated():
    later = declarations(1500, seed=4, start="2020-07-01")
    with pytest.raises(InvalidInput, match="calibration-slope"):
        LightGBMScorer(**FAST).fit(declarations(1500, seed=1)).calibrate(later, ~later["infringement"])


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Two years of a simulated world (infringement rates x 5, so a quarter holds a few hundred hits), every
    line labelled with the simulator's truth."""
    base = default_scenario()
    rates = {mode: 5 * rate for mode, rate in base.infringement_rate.items()}
    folder = tmp_path_factory.mktemp("world") / "w"
    simulate(dataclasses.replace(base, infringement_rate=rates), "2015Q1", "2016Q4", 0.02, 5, folder)
    decl = pd.read_parquet(folder / "declarations.parquet")
    truth = pd.read_parquet(
        folder / "truth_declarations.parquet", columns=["declaration_id", "item_no", "true_infringement"]
    )
    frame = decl.merge(truth, on=["declaration_id", "item_no"], validate="one_to_one")
    frame["quarter"] = pd.PeriodIndex(pd.to_datetime(frame["date"]), freq="Q").astype(str)
    return frame


def test_calibrated_mean_matches_the_observed_rate_of_a_later_quarter(simulated: pd.DataFrame):
    """Fit on 2015Q1-2016Q2, calibrate on 2016Q3, read 2016Q4: the mean calibrated score is the share of
    hits observed there, within three standard errors of the two draws (the calibration quarter's hits fix
    the Platt intercept to about 1 / sqrt(hits) in log-odds, the test quarter's rate is binomial)."""
    fit = simulated[simulated.quarter <= "2016Q2"]
    later, test = simulated[simulated.quarter == "2016Q3"], simulated[simulated.quarter == "2016Q4"]
    scorer = LightGBMScorer(n_estimators=60, num_threads=2).fit(fit, fit["true_infringement"].astype(int))
    scorer.calibrate(later, later["true_infringement"].astype(int))
    raw, cal = scorer.score(test, calibrated=False), scorer.score(test)
    assert np.array_equal(ranks(raw), ranks(cal))
    observed = float(test["true_infringement"].mean())
    hits_cal, hits_test = int(later["true_infringement"].sum()), int(test["true_infringement"].sum())
    tolerance = 3 * np.sqrt(1 / hits_cal + 1 / hits_test)
    assert abs(cal.mean() / observed - 1) < tolerance, (cal.mean(), raw.mean(), observed, tolerance)
