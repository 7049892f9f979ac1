"""Rolling backtests: train on every quarter before, test on the next, as the score would be used.

Each fold fits a fresh scorer on the declarations of all quarters before the test quarter (an expanding
window; ``window`` quarters when given) and evaluates its ranking of the test quarter with
:func:`iprisk.evaluation.metrics.at_k`. Nothing of the test quarter reaches the fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from iprisk.evaluation.metrics import at_k, auc
from iprisk.periods import Quarter
from iprisk.targeting.inputs import as_frame, label_values


def quarters_of(dates: Any) -> pd.Series:
    """``YYYYQn`` of each date."""
    d = pd.to_datetime(pd.Series(dates))
    return d.dt.year.astype(str) + "Q" + d.dt.quarter.astype(str)


def rolling_backtest(
    declarations: Any,
    make_scorer: Callable[[], Any],
    *,
    label: str = "infringement",
    at: Sequence[float] = (5, 10, 20),
    min_train_quarters: int = 2,
    window: int | None = None,
) -> pd.DataFrame:
    """One row per (test quarter, k): train/test sizes, hits and every top-k figure, plus AUC.

    ``make_scorer()`` returns an unfitted scorer with ``fit(frame, label)`` and ``score(frame)``.
    Unlabelled rows take part in training features but not in the evaluation.
    """
    frame = as_frame(declarations).reset_index(drop=True)
    quarter = quarters_of(frame["date"])
    periods = sorted(quarter.unique(), key=lambda q: Quarter.parse(q))
    rows: list[dict[str, Any]] = []
    for i in range(min_train_quarters, len(periods)):
        test_q = periods[i]
        first = 0 if window is None else max(0, i - window)
        train_mask = quarter.isin(periods[first:i]).to_numpy()
        test_mask = (quarter == test_q).to_numpy()
        train, test = frame[train_mask], frame[test_mask]
        scorer = make_scorer().fit(train, label)
        scores = np.asarray(scorer.score(test))
        y = label_values(test[label], label)
        known = ~np.isnan(y)
        y, scores = y[known], scores[known]
        values = pd.to_numeric(test["value"], errors="coerce").to_numpy()[known] if "value" in test else None
        area = auc(y, scores) if len(y) else float("nan")
        for k in at:
            rows.append(
                {
                    "test_quarter": test_q,
                    "train_from": periods[first],
                    "train_to": periods[i - 1],
                    "train_rows": int(train_mask.sum()),
                    "test_rows": int(known.sum()),
                    "hits": int(y.sum()),
                    **at_k(y, scores, k, values),
                    "auc": area,
                }
            )
    return pd.DataFrame(rows)
