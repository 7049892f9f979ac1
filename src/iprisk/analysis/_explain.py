"""One name per set of significant cases: the same cases under several names are reported once.

Which significant segment heads a surge, and which it explains, is :mod:`iprisk.analysis.events`' business.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from iprisk.analysis._segments import compatible, preference


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
