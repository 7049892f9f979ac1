from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iprisk.errors import InvalidInput
from iprisk.evaluation import (
    at_k,
    auc,
    by_group,
    lift_at,
    metrics_table,
    precision_at,
    ranks,
    recall_at,
    selected_count,
    value_recall_at,
)

# 10 rows, 3 hits; scores rank rows 0..9 in order
Y = np.array([1, 0, 1, 0, 0, 0, 1, 0, 0, 0])
S = np.linspace(1, 0.1, 10)
V = np.array([100, 5, 10, 5, 5, 5, 890, 5, 5, 5], dtype=float)


def test_hand_computed_top_k() -> None:
    assert selected_count(10, 20) == 2
    assert selected_count(10, 25) == 3  # rounded up
    assert selected_count(10, 0.1) == 1  # at least one
    assert precision_at(Y, S, 20) == 0.5  # rows 0, 1 -> one hit
    assert recall_at(Y, S, 30) == pytest.approx(2 / 3)  # rows 0..2 -> two of three hits
    assert value_recall_at(Y, S, V, 30) == pytest.approx(110 / 1000)
    assert lift_at(Y, S, 20) == pytest.approx(0.5 / 0.3)
    m = at_k(Y, S, 20, V)
    assert m["precision_oracle"] == 1.0 and m["precision_norm"] == 0.5
    assert m["recall"] == pytest.approx(1 / 3) and m["recall_oracle"] == pytest.approx(2 / 3)
    assert m["recall_norm"] == pytest.approx(0.5)
    assert m["value_recall_oracle"] == pytest.approx(990 / 1000)  # the two most valuable hits
    m50 = at_k(Y, S, 50)
    assert m50["precision_oracle"] == pytest.approx(3 / 5)  # more inspections than hits
    assert m50["recall_oracle"] == 1.0


def test_perfect_ranking_is_normalised_to_one() -> None:
    m = metrics_table(Y, Y.astype(float) + 0.0, at=[10, 30, 50])
    assert (m["precision_norm"] == 1).all() and (m["recall_norm"] == 1).all()
    assert m["auc"].iloc[0] == 1.0


def test_auc_hand_computed_with_ties() -> None:
    # pos scores 0.8, 0.4; neg 0.4, 0.1 -> pairs: (0.8>0.4)=1, (0.8>0.1)=1, (0.4=0.4)=0.5, (0.4>0.1)=1
    assert auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(3.5 / 4)
    assert np.isnan(auc([1, 1], [0.2, 0.3]))


def test_ties_are_deterministic_by_row_order() -> None:
    y = np.array([0, 1, 0, 1])
    s = np.array([0.5, 0.5, 0.5, 0.5])
    assert precision_at(y, s, 25) == 0.0  # row 0 wins the tie
    np.testing.assert_array_equal(ranks(s), [1, 2, 3, 4])
    np.testing.assert_array_equal(ranks([0.1, 0.9, 0.5]), [3, 1, 2])


def test_by_group_splits_the_global_selection() -> None:
    groups = np.array(["A"] * 5 + ["B"] * 5)
    g = by_group(Y, S, groups, 30, V).set_index("group")
    assert g.loc["A", "selected"] == 3 and g.loc["B", "selected"] == 0
    assert g.loc["A", "hits"] == 2 and g.loc["A", "recall"] == 1.0
    assert g.loc["B", "hits"] == 1 and g.loc["B", "recall"] == 0.0
    assert pd.isna(g.loc["B", "precision"])
    assert g.loc["A", "value_recall"] == 1.0


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput):
        at_k([1, 0], [0.5], 10)
    with pytest.raises(InvalidInput):
        at_k([1, 2], [0.5, 0.1], 10)
    with pytest.raises(ValueError):
        at_k(Y, S, 0)
