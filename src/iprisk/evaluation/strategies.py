"""Selection strategies side by side: random checks, profiles alone, the learned score, score plus profiles.

This answers the question the targeting issue asks of every deployment: how much does the model add over
the rules the administrations already share, and over random selection? Each strategy is a priority per
declaration; the comparison is :func:`iprisk.evaluation.at_k` on the same labels for each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from iprisk.evaluation.metrics import at_k


def strategy_priorities(
    score: np.ndarray, risk_level: np.ndarray, mandatory: np.ndarray | None = None, *, seed: int = 0
) -> dict[str, np.ndarray]:
    """Priorities of the four standard strategies (higher = inspected first).

    - ``random``: a uniform draw (what a random-control share achieves);
    - ``profiles``: the highest matching profile's risk level, ties broken at random (a rule-only system
      cannot rank within a level);
    - ``model``: the learned score;
    - ``model+profiles``: mandatory profile hits first, then the score, the profile risk level breaking ties
      (the selection rule of :func:`iprisk.selection.select`).
    """
    rng = np.random.default_rng(seed)
    n = len(score)
    jitter = rng.random(n)
    level = np.asarray(risk_level, dtype="float64")
    must = np.zeros(n) if mandatory is None else np.asarray(mandatory, dtype="float64")
    score = np.asarray(score, dtype="float64")
    return {
        "random": rng.random(n),
        "profiles": level + jitter * 0.5,
        "model": score,
        # score in [0, 1]: a mandatory hit outranks every score; levels (<= 5) only separate equal scores
        "model+profiles": must * 2.0 + score + level * 1e-9,
    }


def compare_strategies(
    labels: Any,
    priorities: Mapping[str, np.ndarray],
    at: Sequence[float] = (1, 2, 5, 10),
    values: Any = None,
) -> pd.DataFrame:
    """One row per (strategy, k): precision, recall and lift, each beside the oracle.

    ``gain_over_random`` and ``gain_over_profiles`` are the strategy's precision divided by that of random
    selection and of profiles alone at the same k (absent when those strategies are not given).
    """
    rows = []
    for name, priority in priorities.items():
        for k in at:
            rows.append({"strategy": name, **at_k(labels, priority, k, values)})
    table = pd.DataFrame(rows)
    for base in ("random", "profiles"):
        if base in priorities:
            ref = table[table.strategy == base].set_index("k_pct")["precision"]
            table[f"gain_over_{base}"] = table["precision"] / table["k_pct"].map(ref).replace(0, np.nan)
    return table
