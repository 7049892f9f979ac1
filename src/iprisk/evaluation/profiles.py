"""How each risk profile performs: what it matched, what it found, against the labels of the same rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PROFILE_METRIC_COLUMNS = (
    "profile_id",
    "matched",
    "coverage",
    "labelled",
    "hits",
    "hit_rate",
    "recall",
    "lift",
)


def profile_metrics(matched_profiles: Any, labels: Any) -> pd.DataFrame:
    """Per profile: declarations matched, coverage (share of all rows), hits, hit rate, recall and lift.

    ``matched_profiles`` holds, per declaration, the list of matching profile ids (the
    ``matched_profiles`` column of :func:`iprisk.profiles.evaluate`); ``labels`` the outcome per declaration
    (1/True = infringement, 0/False = none, NaN/None = not controlled). Hit rate is over the labelled
    matched rows; recall is the profile's share of all hits; lift is its hit rate over the overall hit rate.
    Rows: best hit rate first.
    """
    lists = pd.Series(list(matched_profiles), dtype="object")
    y = pd.to_numeric(pd.Series(list(labels), dtype="object"), errors="coerce").astype("float64")
    if len(lists) != len(y):
        raise ValueError(f"{len(lists)} rows of matches but {len(y)} labels")
    n = len(y)
    total_hits = float(np.nansum(y))
    base_rate = total_hits / max(int(y.notna().sum()), 1)
    pairs = pd.DataFrame({"profile_id": lists, "y": y}).explode("profile_id").dropna(subset=["profile_id"])
    if pairs.empty:
        return pd.DataFrame(columns=list(PROFILE_METRIC_COLUMNS))
    out = (
        pairs.groupby("profile_id")
        .agg(matched=("y", "size"), labelled=("y", "count"), hits=("y", "sum"))
        .reset_index()
    )
    out["coverage"] = out["matched"] / max(n, 1)
    out["hit_rate"] = out["hits"] / out["labelled"].where(out["labelled"] > 0)
    out["recall"] = out["hits"] / total_hits if total_hits > 0 else np.nan
    out["lift"] = out["hit_rate"] / base_rate if base_rate > 0 else np.nan
    out = out.sort_values(["hit_rate", "profile_id"], ascending=[False, True], na_position="last")
    return out[list(PROFILE_METRIC_COLUMNS)].reset_index(drop=True)
