"""How well a risk score selects declarations for inspection, compared with random and with an oracle.

Selecting the top ``k`` % of rows by score (``n = ceil(k/100 x rows)``):

- **precision@k** = hits among the selected / n; **recall@k** = hits selected / all hits;
- **value-recall@k** = declared value of the hits selected / declared value of all hits;
- **lift@k** = precision@k / overall hit rate (how many times better than random selection);
- each normalised by the **oracle**, the best any ranking can do with the same n: oracle precision =
  min(1, hits / n), oracle recall = min(1, n / hits), oracle value-recall = the n most valuable hits' value
  share. A normalised figure of 1 means "as good as perfect knowledge".

Ties are broken deterministically by row order (a stable sort on the negated score), so the same scores
always select the same rows; AUC counts ties as half (the usual Mann-Whitney convention).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from iprisk.errors import InvalidInput, Problem
from iprisk.targeting.ranking import ranking, selected_count

METRIC_COLUMNS = (
    "k_pct",
    "selected",
    "hits_selected",
    "precision",
    "precision_oracle",
    "precision_norm",
    "recall",
    "recall_oracle",
    "recall_norm",
    "value_recall",
    "value_recall_oracle",
    "value_recall_norm",
    "lift",
    "auc",
)


def _arrays(labels: Any, scores: Any, values: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    y = np.asarray(labels, dtype="float64")
    s = np.asarray(scores, dtype="float64")
    problems = []
    if y.shape != s.shape or y.ndim != 1:
        problems.append(
            Problem("shape", f"labels {y.shape} and scores {s.shape} must be 1-D of equal length")
        )
    elif np.isnan(s).any():
        problems.append(
            Problem("score-missing", "scores must not be missing", row=int(np.argmax(np.isnan(s))) + 1)
        )
    elif (np.isnan(y) | ((y != 0) & (y != 1))).any():
        problems.append(Problem("label-binary", "labels must be 0/1 with none missing"))
    v = None
    if values is not None:
        v = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0)
        if v.shape != s.shape:
            problems.append(Problem("shape", f"values {v.shape} must match scores {s.shape}"))
    if problems:
        raise InvalidInput(problems, source="evaluation")
    return y, s, v


def auc(labels: Any, scores: Any) -> float:
    """Area under the ROC curve (ties count half); NaN when only one class is present."""
    y, s, _ = _arrays(labels, scores)
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    r = pd.Series(s).rank(method="average").to_numpy()
    return float((r[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def at_k(labels: Any, scores: Any, k_pct: float, values: Any = None) -> dict[str, float]:
    """Every top-k figure for one k (see the module docstring)."""
    y, s, v = _arrays(labels, scores, values)
    n = selected_count(len(y), k_pct)
    top = ranking(s)[:n]
    hits = float(y.sum())
    caught = float(y[top].sum())
    precision = caught / n
    p_oracle = min(1.0, hits / n)
    recall = caught / hits if hits else float("nan")
    r_oracle = min(1.0, n / hits) if hits else float("nan")
    if v is None:
        v = np.ones_like(y)
    hit_values = v * y
    total_value = float(hit_values.sum())
    value_recall = float(hit_values[top].sum()) / total_value if total_value else float("nan")
    best = np.sort(hit_values)[::-1][:n]
    vr_oracle = float(best.sum()) / total_value if total_value else float("nan")
    rate = hits / len(y)

    def norm(a: float, b: float) -> float:
        return a / b if b and not math.isnan(b) else float("nan")

    return {
        "k_pct": float(k_pct),
        "selected": float(n),
        "hits_selected": caught,
        "precision": precision,
        "precision_oracle": p_oracle,
        "precision_norm": norm(precision, p_oracle),
        "recall": recall,
        "recall_oracle": r_oracle,
        "recall_norm": norm(recall, r_oracle),
        "value_recall": value_recall,
        "value_recall_oracle": vr_oracle,
        "value_recall_norm": norm(value_recall, vr_oracle),
        "lift": norm(precision, rate),
    }


def precision_at(labels: Any, scores: Any, k_pct: float) -> float:
    return at_k(labels, scores, k_pct)["precision"]


def recall_at(labels: Any, scores: Any, k_pct: float) -> float:
    return at_k(labels, scores, k_pct)["recall"]


def value_recall_at(labels: Any, scores: Any, values: Any, k_pct: float) -> float:
    return at_k(labels, scores, k_pct, values)["value_recall"]


def lift_at(labels: Any, scores: Any, k_pct: float) -> float:
    return at_k(labels, scores, k_pct)["lift"]


def metrics_table(
    labels: Any, scores: Any, at: Sequence[float] = (1, 2, 5, 10), values: Any = None
) -> pd.DataFrame:
    """One row per k with every figure (columns :data:`METRIC_COLUMNS`); AUC repeated on each row."""
    area = auc(labels, scores)
    rows = [{**at_k(labels, scores, k, values), "auc": area} for k in at]
    return pd.DataFrame(rows, columns=list(METRIC_COLUMNS))


def by_group(labels: Any, scores: Any, groups: Any, k_pct: float, values: Any = None) -> pd.DataFrame:
    """Where the global top-k selection falls, per group (e.g. office).

    Columns: group, rows, hits, selected, hits_selected, precision (within the group's selected rows),
    recall (share of the group's hits selected), value_recall. The selection is the *global* one, as an
    administration inspecting its top k % nationally would do.
    """
    y, s, v = _arrays(labels, scores, values)
    g = np.asarray(groups, dtype=object)
    if g.shape != y.shape:
        raise InvalidInput([Problem("shape", "groups must match labels")], source="evaluation")
    chosen = np.zeros(len(y), dtype=bool)
    chosen[ranking(s)[: selected_count(len(y), k_pct)]] = True
    vals = np.ones_like(y) if v is None else v
    frame = pd.DataFrame(
        {
            "group": pd.Series(g).fillna("").astype(str),
            "rows": 1,
            "hits": y,
            "selected": chosen.astype(int),
            "hits_selected": y * chosen,
            "hit_value": y * vals,
            "hit_value_selected": y * vals * chosen,
        }
    )
    out = frame.groupby("group", sort=True).sum().reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["precision"] = out["hits_selected"] / out["selected"].where(out["selected"] > 0)
        out["recall"] = out["hits_selected"] / out["hits"].where(out["hits"] > 0)
        out["value_recall"] = out["hit_value_selected"] / out["hit_value"].where(out["hit_value"] > 0)
    out.insert(0, "k_pct", float(k_pct))
    return out.drop(columns=["hit_value", "hit_value_selected"])
