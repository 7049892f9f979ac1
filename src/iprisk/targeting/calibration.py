"""Calibration of a score as a probability, learned on a later (out-of-time) period.

Officers read a score as "the chance this line is an infringement". A gradient-boosted model's scores are
close to that on the rows it was trained on, but new rows see whole-training statistics where training rows
saw out-of-fold ones, and the world drifts: on later quarters the scores can be off by a factor. The standard
remedy is a monotone map fitted on a period *after* the model's training data, where the labels are known:

- ``"isotonic"``: isotonic regression of the outcome on the score (:class:`sklearn.isotonic.
  IsotonicRegression`), applied by linear interpolation between its knots and clipped at both ends. The most
  flexible monotone map; it needs a few hundred hits and is flat between knots, so rows it maps to the same
  value tie (rank by the raw score, show the calibrated one).
- ``"platt"``: logistic regression of the outcome on the score's log-odds (Platt scaling), two numbers,
  strictly increasing when its slope is positive: the ranking is unchanged.

A :class:`Calibrator` is plain data (:meth:`Calibrator.to_data` / :meth:`Calibrator.from_data`, JSON), so it
can be stored beside a model without pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from iprisk.errors import InvalidInput, Problem

METHODS = ("isotonic", "platt")
#: scores are clipped to [EPS, 1 - EPS] before taking log-odds (a score of exactly 0 or 1 has none)
EPS = 1e-9
#: at least this many hits and this many non-hits are needed to fit a calibration
MIN_CLASS_ROWS = 5


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return np.asarray(np.log(q) - np.log1p(-q))


def _checked(values: Any, name: str, n: int | None = None) -> np.ndarray:
    v = np.asarray(values, dtype="float64")
    if v.ndim != 1 or (n is not None and len(v) != n):
        expected = "one value per row" if n is None else f"{n} values"
        raise InvalidInput(
            [Problem("shape", f"{name}: expected {expected}, got shape {v.shape}")], source=name
        )
    bad = ~np.isfinite(v) | (v < 0) | (v > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInput(
            [Problem("probability", f"{name} must lie in [0, 1]", row=i + 1, value=str(v[i]))], source=name
        )
    return v


@dataclass(frozen=True)
class Calibrator:
    """A monotone map from a score to a probability (see the module docstring).

    ``isotonic``: ``knots_x`` (increasing scores) and ``knots_y`` (their probabilities); ``platt``:
    ``slope`` and ``intercept`` on the log-odds. ``rows`` and ``hits``: what it was fitted on.
    """

    method: str
    rows: int
    hits: int
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    slope: float = 1.0
    intercept: float = 0.0

    def apply(self, scores: Any) -> np.ndarray:
        """The calibrated probability of every score."""
        s = _checked(scores, "scores")
        if self.method == "isotonic":
            return np.asarray(np.interp(s, self.knots_x, self.knots_y))
        z = self.slope * _logit(s) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -700, 700))))

    def to_data(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "rows": self.rows,
            "hits": self.hits,
            "knots_x": list(self.knots_x),
            "knots_y": list(self.knots_y),
            "slope": self.slope,
            "intercept": self.intercept,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Calibrator:
        if data.get("method") not in METHODS:
            raise InvalidInput(
                [Problem("calibration-method", f"must be one of {METHODS}", value=str(data.get("method")))],
                source="calibrator",
            )
        return cls(
            method=data["method"],
            rows=int(data["rows"]),
            hits=int(data["hits"]),
            knots_x=tuple(float(x) for x in data.get("knots_x", ())),
            knots_y=tuple(float(y) for y in data.get("knots_y", ())),
            slope=float(data.get("slope", 1.0)),
            intercept=float(data.get("intercept", 0.0)),
        )


def fit_calibrator(scores: Any, outcomes: Any, method: str = "isotonic") -> Calibrator:
    """A :class:`Calibrator` fitted on scores of a later period and their 0/1 outcomes.

    Raises :class:`~iprisk.errors.InvalidInput` for an unknown method, mismatched or out-of-range inputs, or
    fewer than :data:`MIN_CLASS_ROWS` hits or non-hits (no calibration can be learned from that).
    """
    if method not in METHODS:
        raise InvalidInput(
            [Problem("calibration-method", f"must be one of {METHODS}", value=method)], source="calibrator"
        )
    s = _checked(scores, "scores")
    y = _checked(outcomes, "outcomes", len(s))
    if not np.isin(y, (0.0, 1.0)).all():
        i = int(np.flatnonzero(~np.isin(y, (0.0, 1.0)))[0])
        raise InvalidInput(
            [Problem("label", "outcomes must be 0 or 1", row=i + 1, value=str(y[i]))], source="outcomes"
        )
    hits = int(y.sum())
    if min(hits, len(y) - hits) < MIN_CLASS_ROWS:
        raise InvalidInput(
            [
                Problem(
                    "too-few-outcomes",
                    f"calibration needs at least {MIN_CLASS_ROWS} hits and {MIN_CLASS_ROWS} non-hits, "
                    f"got {hits} hits in {len(y)} rows",
                )
            ],
            source="outcomes",
        )
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y)
        return Calibrator(
            "isotonic",
            len(y),
            hits,
            knots_x=tuple(float(x) for x in iso.X_thresholds_),
            knots_y=tuple(float(v) for v in iso.y_thresholds_),
        )
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000).fit(_logit(s)[:, None], y)
    return Calibrator(
        "platt", len(y), hits, slope=float(platt.coef_[0, 0]), intercept=float(platt.intercept_[0])
    )
