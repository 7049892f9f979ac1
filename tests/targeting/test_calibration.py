import json

import numpy as np
import pytest

from iprisk.errors import InvalidInput
from iprisk.targeting import Calibrator, fit_calibrator


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
