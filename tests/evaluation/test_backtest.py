from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from iprisk.evaluation.backtest import quarters_of, rolling_backtest
from tests.targeting.synthetic import declarations


class SpyScorer:
    """Remembers what it was trained on; scores by declared value (no learning needed)."""

    seen: ClassVar[list[pd.DataFrame]] = []

    def fit(self, frame: pd.DataFrame, label: Any) -> SpyScorer:
        SpyScorer.seen.append(frame)
        return self

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["value"].to_numpy(dtype=float)


def test_each_fold_trains_only_on_earlier_quarters() -> None:
    data = declarations(400, seed=1, start="2020-01-01", days=360)  # four quarters
    SpyScorer.seen = []
    result = rolling_backtest(data, SpyScorer, at=(10, 20), min_train_quarters=1, window=2)
    assert result["test_quarter"].drop_duplicates().tolist() == ["2020Q2", "2020Q3", "2020Q4"]
    assert result.groupby("test_quarter").size().eq(2).all()
    for test_q, trained in zip(["2020Q2", "2020Q3", "2020Q4"], SpyScorer.seen, strict=True):
        assert (quarters_of(trained["date"]) < test_q).all()
    last = result[result["test_quarter"] == "2020Q4"].iloc[0]
    assert (last["train_from"], last["train_to"]) == ("2020Q2", "2020Q3")  # window of two quarters
    q4 = quarters_of(data["date"]) == "2020Q4"
    assert last["test_rows"] == q4.sum() and last["hits"] == data.loc[q4, "infringement"].sum()
    assert 0 <= last["precision"] <= 1
