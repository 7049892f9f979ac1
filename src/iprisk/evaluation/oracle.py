"""A ranking measured against the Bayes-optimal one, and the calibration of its scores.

On a simulated world every declaration's true probability of infringement is known
(``truth_declarations.parquet``, column ``true_probability``). Inspecting the ``n`` declarations with the
highest true probability maximises the expected number of hits: no model can do better on average. So a
ranking's quality is its **fraction of Bayes**: the expected precision of its top ``n`` (the mean true
probability of the rows it selects) divided by that of the Bayes ranking at the same ``n``. Expected
precision uses the true probabilities rather than the drawn flags, which removes the noise of the draw
(the realised precisions are reported too, when labels are given).

Calibration: officers read a score as a probability. :func:`reliability` bins the scores (equal-count bins
by default, as hits are rare) and puts each bin's mean score beside its observed rate (or its mean true
probability); :func:`brier_score` is the mean squared error of the scores as probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from iprisk.errors import InvalidInput, Problem
from iprisk.targeting.ranking import ranking, selected_count

BAYES_COLUMNS = (
    "strategy",
    "k_pct",
    "selected",
    "precision",
    "bayes_precision",
    "fraction_of_bayes",
    "realised_precision",
    "realised_bayes_precision",
)


def _probabilities(values: Any, name: str, n: int | None = None) -> np.ndarray:
    p = np.asarray(values, dtype="float64")
    if p.ndim != 1 or (n is not None and len(p) != n):
        raise InvalidInput(
            [Problem("shape", f"{name}: expected {n} values, got shape {p.shape}")], source=name
        )
    bad = np.isnan(p) | (p < 0) | (p > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInput(
            [Problem("probability", f"{name} must lie in [0, 1]", row=i + 1, value=str(p[i]))], source=name
        )
    return p


def bayes_precision(true_probability: Any, k_pct: float) -> float:
    """Expected precision of the Bayes ranking: the mean of the top ``k_pct`` % true probabilities."""
    p = _probabilities(true_probability, "true_probability")
    n = selected_count(len(p), k_pct)
    return float(np.partition(p, len(p) - n)[len(p) - n :].mean())


def bayes_table(
    true_probability: Any,
    priorities: Mapping[str, Any],
    at: Sequence[float] = (1, 2, 5, 10),
    labels: Any = None,
) -> pd.DataFrame:
    """One row per (strategy, k): expected precision of its top k %, Bayes precision, and their ratio.

    ``priorities``: strategy name -> priority per row (higher first; ties by row order, as
    :func:`~iprisk.evaluation.metrics.at_k`). With ``labels`` (the drawn 0/1 flags) the realised
    precisions of the strategy and of the Bayes ranking are added.
    """
    p = _probabilities(true_probability, "true_probability")
    y = None if labels is None else np.asarray(labels, dtype="float64")
    if y is not None and y.shape != p.shape:
        raise InvalidInput([Problem("shape", "labels must match true_probability")], source="labels")
    bayes_order = ranking(p)
    rows = []
    for name, priority in priorities.items():
        pr = np.asarray(priority, dtype="float64")
        if pr.shape != p.shape or np.isnan(pr).any():
            raise InvalidInput(
                [Problem("shape", f"priority of {name!r} must be one number per row, none missing")],
                source="priorities",
            )
        order = ranking(pr)
        for k in at:
            n = selected_count(len(p), k)
            ours, best = float(p[order[:n]].mean()), float(p[bayes_order[:n]].mean())
            rows.append(
                {
                    "strategy": name,
                    "k_pct": float(k),
                    "selected": n,
                    "precision": ours,
                    "bayes_precision": best,
                    "fraction_of_bayes": ours / best if best > 0 else float("nan"),
                    "realised_precision": float("nan") if y is None else float(y[order[:n]].mean()),
                    "realised_bayes_precision": float("nan")
                    if y is None
                    else float(y[bayes_order[:n]].mean()),
                }
            )
    return pd.DataFrame(rows, columns=list(BAYES_COLUMNS))


def brier_score(outcome: Any, scores: Any) -> float:
    """Mean squared difference between scores and outcomes (0/1 flags, or true probabilities)."""
    s = _probabilities(scores, "scores")
    o = _probabilities(outcome, "outcome", len(s))
    return float(np.mean((s - o) ** 2))


def reliability(outcome: Any, scores: Any, bins: int = 10, *, equal_count: bool = True) -> pd.DataFrame:
    """The reliability curve: per score bin, rows, mean score and mean outcome (observed rate).

    ``equal_count`` bins hold the same number of rows (score quantiles; rare hits need it), else the bins
    are ``bins`` equal widths of [0, 1]. Empty bins are left out.
    """
    s = _probabilities(scores, "scores")
    o = _probabilities(outcome, "outcome", len(s))
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    if equal_count:
        order = np.argsort(s, kind="stable")
        which = np.empty(len(s), dtype="int64")
        which[order] = np.arange(len(s)) * bins // max(len(s), 1)
    else:
        which = np.minimum((s * bins).astype("int64"), bins - 1)
    frame = pd.DataFrame({"bin": which, "score": s, "outcome": o})
    out = frame.groupby("bin", sort=True).agg(
        rows=("score", "size"), mean_score=("score", "mean"), observed=("outcome", "mean")
    )
    return out.reset_index()
