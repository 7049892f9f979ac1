"""Risk-profile hits as model features: how many profiles a declaration matches and their highest risk.

A scorer given risk profiles (:class:`iprisk.profiles.Profile`) adds two features, computed by the profile
engine itself (:func:`iprisk.profiles.evaluate`, one DuckDB query over the rows, every profile whatever its
status and validity dates, so that the features of a row depend on the row only):

- ``profile_hits``: number of profiles the row matches;
- ``profile_max_risk``: the highest ``risk_level`` among them, 0 when none.

They use no label, so they cannot leak one; the same function serves fitting and every scoring path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Feature names, in the order they are added to the feature list.
PROFILE_FEATURES = ("profile_hits", "profile_max_risk")


def profile_columns_of(profiles: Sequence[Any]) -> set[str]:
    """The declarations columns the profile features read (``product_category`` comes from ``hs_code``)."""
    from iprisk.profiles.engine import profile_columns

    cols: set[str] = set()
    for p in profiles:
        cols |= profile_columns(p, check_validity=False)
    if "product_category" in cols:
        cols = (cols - {"product_category"}) | {"hs_code"}
    return cols


def profile_features(
    data: pa.Table | pa.RecordBatch | pd.DataFrame, profiles: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, (number of matched profiles, highest matched risk level or 0), as float64."""
    from iprisk.profiles import evaluate
    from iprisk.targeting.matching import hits_and_max_risk  # matching reads columnar, which imports this

    cols = sorted(profile_columns_of(profiles))
    if isinstance(data, pd.DataFrame):
        table = pa.Table.from_pandas(data[cols], preserve_index=False)
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data.select(cols)])
    else:
        table = data.select(cols)
    if table.num_rows == 0:
        return np.zeros(0), np.zeros(0)
    fast = hits_and_max_risk(table, profiles)  # the engine's answers over dictionary codes, when covered
    if fast is not None:
        return fast
    # product_category is always derived from hs_code by the engine: the same at fit and at scoring
    flagged = evaluate(table, profiles, only_active=False, check_validity=False, keep=[])
    hits = pc.fill_null(pc.list_value_length(flagged.column("matched_profiles")), 0)
    risk = pc.fill_null(flagged.column("max_risk_level"), 0)
    return (
        np.asarray(hits.to_numpy(), dtype="float64"),
        np.asarray(risk.to_numpy(), dtype="float64"),
    )
