"""Which significant segment explains a surge: the most specific one, not all its parents and children.

For every pair of significant segments of the same quarter and the same sense (``up``/``new`` together,
``down`` apart) where ``S`` is an ancestor of ``D`` (D adds one or two dimensions to S), look at the
*residual* ``S - D`` (observed and expected of S minus those of D; the residual's variance uses S's
dispersion):

- ``surprising``: the residual itself departs from its expectation (one-sided NB test, level ``level``);
- ``concentrated``: the residual departs *less* than D does, i.e. it is significantly below (for a rise; above
  for a drop) what it would be if D's rate ratio ``observed_D / expected_D`` applied to it as well.

Then:

1. S is dropped when some such D is concentrated and the residual is not surprising: D carries the
   surprising part of S, and is the more specific explanation.
2. D is dropped when an ancestor S survives rule 1 and D is not concentrated under it: D is just its share of
   a surge that is spread evenly over S (e.g. ``trademark`` inside a surge of a whole product category).

A dominant value therefore never replaces its parent (its residual is too small to be concentrated), while a
planted segment replaces its parents (their residual, the rest of the parent, is normal).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from iprisk.analysis._baseline import nb_lower, nb_upper
from iprisk.analysis._segments import compatible, preference

#: Nominal level of the residual tests of the explanation rule.
EXPLAIN_LEVEL = 0.05


def _ancestors(key: tuple[tuple[str, str], ...]) -> list[tuple[tuple[str, str], ...]]:
    return [sub for k in range(1, len(key)) for sub in combinations(key, k)]


def most_specific(sig: pd.DataFrame, *, history: int, level: float = EXPLAIN_LEVEL) -> pd.DataFrame:
    """Reduce significant tests (``segment_tests`` rows with q-values) to the most specific explanations."""
    keep = np.ones(len(sig), dtype=bool)
    sig = sig.reset_index(drop=True)
    sense = np.where(sig["direction"].to_numpy() == "down", "down", "up")
    for (_, s), grp in sig.groupby([sig["quarter"], sense]):
        rising = s == "up"
        pos = {k: i for i, k in zip(grp.index, grp["key"], strict=True)}
        anc = (
            sig["ancestors"]
            if "ancestors" in sig
            else pd.Series([frozenset(_ancestors(k)) for k in sig["key"]])
        )
        pairs = [(pos[a], i) for k, i in pos.items() for a in anc[i] if a in pos]
        if not pairs:
            continue
        si = np.array([p[0] for p in pairs])
        di = np.array([p[1] for p in pairs])
        obs = sig["observed"].to_numpy(dtype=float)
        exp = sig["expected"].to_numpy(dtype=float)
        disp = sig["dispersion"].to_numpy(dtype=float)
        r_obs = np.maximum(obs[si] - obs[di], 0.0)
        r_exp = np.maximum(exp[si] - exp[di], 1.0 / history)
        r_a = disp[si] * (1.0 + 1.0 / history) + 1.0 / (history * r_exp)
        ratio = obs[di] / np.maximum(exp[di], 1e-12)
        r_uniform = np.maximum(ratio * r_exp, 1e-9)
        u_a = disp[si] * (1.0 + 1.0 / history) + 1.0 / (history * r_uniform)
        if rising:
            surprising = nb_upper(r_obs, r_exp, r_a) < level
            concentrated = nb_lower(r_obs, r_uniform, u_a) < level
        else:
            surprising = nb_lower(r_obs, r_exp, r_a) < level
            concentrated = nb_upper(r_obs, r_uniform, u_a) < level
        explained = set(si[concentrated & ~surprising].tolist())
        redundant = {
            d for s_, d, c in zip(si, di, concentrated, strict=True) if not c and s_ not in explained
        }
        for i in explained | redundant:
            keep[i] = False
    return sig[keep]


def merge_equivalent(sig: pd.DataFrame) -> pd.DataFrame:
    """Keep one description of the same cases: compatible segments of a quarter and direction with the same
    observed and expected counts are the same cases under other names (``NL`` and ``NLRTM`` when NL has one
    office); the shortest description is kept (fewest dimensions, then office before category, provenance,
    mode, IPR type and administration)."""
    if sig.empty:
        return sig
    sig = sig.reset_index(drop=True)
    keep = np.ones(len(sig), dtype=bool)
    group_keys = [sig["quarter"], sig["direction"], sig["observed"], sig["expected"].round(9)]
    all_keys: list[Any] = sig["key"].tolist()
    for _, grp in sig.groupby(group_keys):
        if len(grp) < 2:
            continue
        ordered = sorted(grp.index, key=lambda i: preference(all_keys[i]))
        kept: list[tuple[tuple[str, str], ...]] = []
        for i in ordered:
            k = all_keys[i]
            if any(compatible(k, other) for other in kept):
                keep[i] = False
            else:
                kept.append(k)
    return sig[keep]
