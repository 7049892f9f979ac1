"""Choose what to control under capacity: mandatory profile hits, then the highest scores, plus exploration.

Per capacity group (office and day by default), with capacity ``C`` and ``M`` mandatory hits:

1. every mandatory hit is controlled (even beyond capacity: ``over_capacity`` says so);
2. of the ``R = max(C - M, 0)`` remaining controls, ``E = exploration * R`` (on average) go to a uniform
   random draw among the declarations the score did not pick, so that the scorer keeps learning from
   declarations it would not have chosen; the others go to the highest scores (ties broken at random).
   When ``E`` is fractional, one random draw per group rounds it up (probability ``E - floor(E)``) or down,
   so that even a group with capacity 1 explores sometimes;
3. each declaration's selection propensity is recorded, exactly: 1 for mandatory hits and sure score picks,
   the probability of the random draw for the others (whether drawn or not), a mix of both for the score
   pick that the rounding may give up. Every declaration thus has a known positive propensity when
   ``exploration > 0``, which inverse-propensity weighting needs (:mod:`iprisk.selection.ipw`).

Everything is vectorised with pandas group-wise ranks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

SELECTION_COLUMNS = ("selected", "reason", "propensity", "over_capacity")


def _frame(x: pd.DataFrame | pa.Table, columns: Sequence[str]) -> pd.DataFrame:
    """Only the columns used (converting a list column of a million rows to pandas takes seconds)."""
    present = (
        [c for c in columns if c in x.column_names]
        if isinstance(x, pa.Table)
        else [c for c in columns if c in x]
    )
    if isinstance(x, pa.Table):
        return x.select(present).to_pandas()
    return x[present].reset_index(drop=True)


def _capacity(
    capacity: int | float | Mapping[str, int] | pd.Series, sizes: pd.Series, by: Sequence[str]
) -> pd.Series:
    """Controls allowed per group (aligned on ``sizes``' index)."""
    if isinstance(capacity, Mapping | pd.Series):
        if "office" not in by:
            raise ValueError("a capacity per office needs 'office' among the capacity groups")
        per_office = pd.Series(capacity, dtype="float64")
        offices = sizes.index.get_level_values("office") if len(by) > 1 else sizes.index
        cap = pd.Series(per_office.reindex(offices).fillna(0).to_numpy(), index=sizes.index)
        return cap.astype("int64")
    if isinstance(capacity, bool) or capacity < 0:
        raise ValueError(f"capacity must be a non-negative count or a share in (0, 1), not {capacity!r}")
    if isinstance(capacity, float) and 0 < capacity < 1:
        return np.floor(sizes * capacity + 0.5).astype("int64")
    if isinstance(capacity, float) and not capacity.is_integer():
        raise ValueError(f"capacity {capacity} is neither a whole count nor a share in (0, 1)")
    return pd.Series(int(capacity), index=sizes.index, dtype="int64")


def select(
    declarations: pd.DataFrame | pa.Table,
    scores: Sequence[float] | np.ndarray | pd.Series,
    profile_matches: pd.DataFrame | pa.Table | None = None,
    *,
    capacity: int | float | Mapping[str, int] | pd.Series,
    exploration: float = 0.05,
    seed: int | None = None,
    by: Sequence[str] = ("office", "date"),
) -> pd.DataFrame:
    """Select declarations to control; one row per declaration, in input order.

    ``scores``: one risk score per declaration (higher is riskier). ``profile_matches``: the rule engine's
    output (:func:`iprisk.profiles.evaluate`) in the same order; its ``mandatory`` column (or, without it,
    ``max_risk_level >= 5``) marks declarations that must be controlled. ``capacity``: controls per group
    (an int), a share of each group's declarations (a float in (0, 1)), or controls per office (a mapping
    office -> count per day). ``by``: the capacity groups (office and day by default; ``()`` for one group).

    Returns the identifying columns (``declaration_id``, ``item_no`` when present) and ``selected`` (bool),
    ``reason`` (``mandatory``, ``score``, ``exploration`` or empty), ``propensity`` (probability of being
    selected under this policy) and ``over_capacity`` (mandatory hits exceeded the group's capacity).
    """
    if not 0 <= exploration <= 1:
        raise ValueError(f"exploration must be a share in [0, 1], not {exploration}")
    frame = _frame(declarations, ["declaration_id", "item_no", *by])
    n = len(declarations)
    score = np.asarray(scores, dtype="float64")
    if score.shape != (n,):
        raise ValueError(f"{len(score)} scores for {n} declarations")
    mandatory = np.zeros(n, dtype=bool)
    if profile_matches is not None:
        matches = _frame(profile_matches, ["mandatory", "max_risk_level"])
        if len(profile_matches) != n:
            raise ValueError(f"{len(profile_matches)} profile-match rows for {n} declarations")
        if "mandatory" in matches:
            mandatory = matches["mandatory"].fillna(False).to_numpy(dtype=bool)
        elif "max_risk_level" in matches:
            mandatory = matches["max_risk_level"].fillna(0).to_numpy() >= 5
    missing = [c for c in by if c not in frame]
    if missing:
        raise KeyError(f"capacity group column(s) missing from the declarations: {', '.join(missing)}")

    rng = np.random.default_rng(seed)
    work = pd.DataFrame({"_mand": mandatory, "_score": np.nan_to_num(score, nan=-np.inf)})
    keys = [f"_g{i}" for i in range(len(by))] or ["_g"]
    for k, col in zip(keys, by, strict=False):
        work[k] = frame[col].to_numpy()
    if not by:
        work["_g"] = 0
    grouped = work.groupby(keys, sort=False, dropna=False)
    sizes = grouped.size()
    cap = _capacity(capacity, sizes.rename_axis(list(by) or ["_g"]), by)
    group_id = grouped.ngroup().to_numpy()
    order = sizes.index  # ngroup numbers follow this order when sort=False
    c = cap.to_numpy()[group_id].astype("float64")
    n_mand = grouped["_mand"].transform("sum").to_numpy()
    free = (sizes.to_numpy()[group_id] - n_mand).astype("float64")  # non-mandatory declarations
    r = np.minimum(np.clip(c - n_mand, 0, None), free)  # controls left after the mandatory ones
    e = r * exploration  # expected random picks
    a = np.floor(e)
    f = e - a
    u = rng.random(len(order))[group_id]  # one draw per group decides the rounding
    k = a + (u < f)  # random picks this time
    greedy_n = r - k

    # rank of each non-mandatory declaration by score within its group (ties at random)
    work["_tie"] = rng.random(n)
    work["_key"] = np.where(mandatory, np.inf, -work["_score"].to_numpy())
    work["_gid"] = group_id  # integer group numbers sort and group faster than the key columns
    ranked = work[["_gid", "_key", "_tie"]].sort_values(["_gid", "_key", "_tie"])
    rank = np.empty(n, dtype="float64")
    rank[ranked.index.to_numpy()] = ranked.groupby("_gid", sort=False).cumcount().to_numpy()
    is_mand = mandatory
    is_greedy = ~is_mand & (rank < greedy_n)
    pool = ~is_mand & ~is_greedy
    work["_draw"] = np.where(pool, rng.random(n), np.inf)
    draw_rank = work.groupby("_gid", sort=False)["_draw"].rank(method="first").to_numpy() - 1
    is_explore = pool & (draw_rank < k)

    # exact propensities: rounding down (prob 1-f) leaves r-a greedy picks and a random ones among
    # free-(r-a); rounding up (prob f) leaves r-a-1 greedy and a+1 random among free-(r-a-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_down_pool = np.where(free - (r - a) > 0, a / (free - (r - a)), 0.0)
        p_up_pool = np.where(free - (r - a - 1) > 0, (a + 1) / (free - (r - a - 1)), 0.0)
    p_up_pool = np.where(f > 0, p_up_pool, 0.0)
    always = rank < r - a - (f > 0)
    boundary = (f > 0) & (rank == r - a - 1)
    propensity = np.where(
        is_mand | always,
        1.0,
        np.where(boundary, (1 - f) + f * p_up_pool, (1 - f) * p_down_pool + f * p_up_pool),
    )
    propensity = np.clip(propensity, 0.0, 1.0)

    out = frame[[col for col in ("declaration_id", "item_no") if col in frame]].copy()
    out["selected"] = is_mand | is_greedy | is_explore
    out["reason"] = np.select(
        [is_mand, is_greedy, is_explore], ["mandatory", "score", "exploration"], default=""
    )
    out["propensity"] = propensity
    out["over_capacity"] = is_mand & (n_mand > c)
    return out
