"""Ranking declarations by what to inspect first, and how many rows the top ``k`` % are.

Ties are broken by row order (a stable sort on the negated score), so the same scores always rank and select
the same rows. Scoring uses it to number the rows of a scores table; evaluation to measure the top ``k`` %.

>>> ranks([0.2, 0.9, 0.2]).tolist()
[2, 1, 3]
>>> selected_count(300, 10)
30
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def selected_count(n_rows: int, k_pct: float) -> int:
    """Rows inspected when selecting the top ``k_pct`` % of ``n_rows`` (rounded up, at least 1)."""
    if not 0 < k_pct <= 100:
        raise ValueError(f"k must be a percentage in (0, 100], got {k_pct}")
    return min(n_rows, max(1, math.ceil(n_rows * k_pct / 100 - 1e-9)))


def ranking(scores: Any) -> np.ndarray:
    """Row indices from most to least suspicious; ties keep row order."""
    return np.argsort(-np.asarray(scores, dtype="float64"), kind="stable")


def ranks(scores: Any) -> np.ndarray:
    """1-based rank of every row (1 = highest score), consistent with :func:`ranking`."""
    order = ranking(scores)
    out = np.empty(len(order), dtype="int64")
    out[order] = np.arange(1, len(order) + 1)
    return out
