"""Emerging risks: segments whose quarter departs from what their own history predicts.

A segment is a combination of up to three of reporting administration, office, transport mode, provenance,
product category and IPR type (41 combinations). Per quarter, every segment with enough history is tested
against its seasonal negative-binomial baseline (see :mod:`iprisk.analysis._baseline`); the false-discovery
rate is controlled with Benjamini-Hochberg across all tests of the quarter; and of the significant segments
only the most specific one that explains a surge is reported (see :mod:`iprisk.analysis._explain`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._baseline import (
    benjamini_hochberg,
    fit_levels,
    nb_lower,
    nb_upper,
    pooled_dispersion,
    predictive_alpha,
    seasonal_factors,
)
from iprisk.analysis._common import SIGNAL_DIMENSIONS, check_dimensions, quarter_of_year
from iprisk.analysis._explain import explain_sentence, merge_equivalent, most_specific
from iprisk.analysis._segments import SegmentCounts, SegmentKey, canonical_names, count_segments
from iprisk.periods import Quarter

#: Columns of the table :func:`signals` returns (also the columns of ``signals.csv``).
SIGNAL_COLUMNS: tuple[str, ...] = (
    "quarter",
    "direction",
    *SIGNAL_DIMENSIONS,
    "metric",
    "observed",
    "expected",
    "p_value",
    "q_value",
    "score",
    "rank",
    "explanation",
)


def signals(
    seizures: ir.Table,
    *,
    metric: str = "cases",
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
    history: int = 8,
    fdr: float = 0.05,
    dimensions: Sequence[str] = SIGNAL_DIMENSIONS,
    max_depth: int = 3,
    min_expected: float = 2.0,
    min_expected_down: float = 5.0,
    min_new: int = 3,
    most_specific_only: bool = True,
) -> pd.DataFrame:
    """Segments whose quarter is surprisingly high (``up``), low (``down``) or first seen (``new``).

    Parameters
    ----------
    seizures : ibis.Table
        Seizure lines (canonical columns plus ``quarter``), e.g. ``Warehouse.seizures()``.
    metric : {"cases", "lines"}
        What is counted per segment; cases are distinct ``(reporting_admin, case_id)``.
    start, end : str or Quarter, optional
        Quarters to report (inclusive). The ``history`` quarters before ``start`` are read as baseline.
    history : int
        Quarters of history the baseline uses (at least 4; 8 or more recommended). A quarter is tested only
        once that much history exists in the data.
    fdr : float
        False-discovery rate controlled per quarter across all tests (Benjamini-Hochberg).
    dimensions, max_depth
        Dimensions segments are built from, and the most combined at once.
    min_expected, min_expected_down : float
        A segment is tested for a rise when its expectation is at least ``min_expected``, for a drop when at
        least ``min_expected_down`` (below that a drop can never be significant: testing it only costs
        power).
    min_new : int
        A segment with nothing in its history before the previous quarter is tested as ``new`` in the first
        quarter where it and the previous quarter together reach this many cases.
    most_specific_only : bool
        Report only the most specific explanation of each surge (default); False keeps every significant one.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SIGNAL_COLUMNS`: the dimension columns hold the segment's values, empty meaning any;
        ``score`` is ``-log10(p_value)``; ``rank`` 1 is the most surprising signal of its quarter.

    Examples
    --------
    >>> import ibis, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> rows = []
    >>> for i, q in enumerate([f"{y}Q{k}" for y in (2020, 2021, 2022) for k in (1, 2, 3, 4)]):
    ...     for office, lam in (("NLRTM", 30), ("DEHAM", 30)):
    ...         n = rng.poisson(lam * (4 if (office == "NLRTM" and i == 11) else 1))
    ...         rows += [dict(quarter=q, reporting_admin=office[:2], case_id=f"{q}{office}{j}", office=office,
    ...                  transport_mode="sea", provenance_country="CN", product_category="toys",
    ...                  ipr_type="trademark") for j in range(n)]
    >>> s = signals(ibis.memtable(pd.DataFrame(rows)))
    >>> s[["quarter", "direction", "office", "rank"]].head(1).to_dict("records")
    [{'quarter': '2022Q4', 'direction': 'up', 'office': 'NLRTM', 'rank': 1}]
    """
    dims = check_dimensions(list(dimensions), SIGNAL_DIMENSIONS)
    if history < 4:
        raise ValueError(f"history must be at least 4 quarters, not {history}")
    if not 0 < fdr < 1:
        raise ValueError(f"fdr must be in (0, 1), not {fdr}")
    t = seizures
    if end is not None:
        t = t.filter(t.quarter <= str(Quarter.parse(str(end))))
    if start is not None:
        t = t.filter(t.quarter >= str(Quarter.parse(str(start)) - history))
    counts = count_segments(t, metric, dims, max_depth)
    tests, alias = _tests_and_names(
        counts,
        history=history,
        min_expected=min_expected,
        min_expected_down=min_expected_down,
        min_new=min_new,
    )
    if start is not None:
        tests = tests[tests["quarter"] >= str(Quarter.parse(str(start)))]
    return report(
        tests, metric=metric, fdr=fdr, history=history, most_specific_only=most_specific_only, alias=alias
    )


def segment_tests(
    counts: SegmentCounts,
    *,
    history: int = 8,
    min_expected: float = 2.0,
    min_expected_down: float = 5.0,
    min_new: int = 3,
) -> pd.DataFrame:
    """Every test the detector makes: one row per (quarter, segment, direction) with its p-value.

    Columns: quarter, direction, key (tuple of (dimension, value)), depth, observed, expected, dispersion
    (the ``alpha`` of its size class), p_value.
    """
    return _tests_and_names(
        counts,
        history=history,
        min_expected=min_expected,
        min_expected_down=min_expected_down,
        min_new=min_new,
    )[0]


def _tests_and_names(
    counts: SegmentCounts, *, history: int, min_expected: float, min_expected_down: float, min_new: int
) -> tuple[pd.DataFrame, dict[SegmentKey, SegmentKey]]:
    quarters = counts.quarters
    qoy = np.asarray(quarter_of_year(quarters)) if quarters else np.zeros(0, dtype=int)
    frames: list[pd.DataFrame] = []
    live = [cc for cc in counts.combos if cc.keys]
    alias = canonical_names(counts)
    for j in range(history, len(quarters)):
        win = slice(j - history, j)
        f = seasonal_factors(counts.total[win], qoy[win])
        f_win = f[qoy[win] - 1]
        fits = [fit_levels(cc.counts[:, win], f_win) for cc in live]
        if not fits:
            continue
        level = np.concatenate([x[0] for x in fits])
        hist = np.concatenate([cc.counts[:, win] for cc in live])
        combo_id = np.concatenate([np.full(len(cc.keys), i + 1) for i, cc in enumerate(live)])
        depth_id = np.concatenate([np.full(len(cc.keys), len(cc.dims)) for cc in live])
        alpha = pooled_dispersion(level, hist, np.concatenate([x[1] for x in fits]), [combo_id, depth_id])
        y = np.concatenate([cc.counts[:, j] for cc in live])
        # "new": nothing before the previous quarter; the previous quarter (if it saw the segment at all)
        # stayed below `min_new`, and the two quarters together now reach it. A new modus operandi often
        # starts with one or two cases, so a rule that needs `min_new` in the very first quarter misses it.
        old = np.concatenate([cc.counts[:, j - history : j - 1].sum(axis=1) > 0 for cc in live])
        prev = np.concatenate([cc.counts[:, j - 1] for cc in live])
        keys = [alias.get(k, k) for cc in live for k in cc.keys]
        depth = np.concatenate([np.full(len(cc.keys), len(cc.dims)) for cc in live])
        mu = level * f[qoy[j] - 1]
        a_eff = predictive_alpha(mu, alpha, history)
        for direction, sel in (
            ("up", mu >= min_expected),
            ("down", mu >= min_expected_down),
            ("new", ~old & (prev < min_new) & (y > 0) & (y + prev >= min_new)),
        ):
            idx = np.flatnonzero(sel)
            if idx.size == 0:
                continue
            disp = alpha[idx]
            if direction == "up":
                exp, p = mu[idx], nb_upper(y[idx], mu[idx], a_eff[idx])
            elif direction == "down":
                exp, p = mu[idx], nb_lower(y[idx], mu[idx], a_eff[idx])
            else:
                # Nothing in `history` quarters: take one case per history as the rate (conservative), and
                # test the two quarters since the segment appeared against two quarters of that rate.
                exp = np.full(idx.size, 1.0 / history)
                disp = np.zeros(idx.size)
                p = nb_upper(y[idx] + prev[idx], 2 * exp, disp)
            frames.append(
                pd.DataFrame(
                    {
                        "quarter": quarters[j],
                        "direction": direction,
                        "key": [keys[i] for i in idx],
                        "depth": depth[idx],
                        "observed": y[idx],
                        "expected": exp,
                        "dispersion": disp,
                        "p_value": p,
                    }
                )
            )
    if not frames:
        cols = ["quarter", "direction", "key", "depth", "observed", "expected", "dispersion", "p_value"]
        return pd.DataFrame(columns=cols), alias
    tests = pd.concat(frames, ignore_index=True)
    # Segments renamed to their shortest equivalent name are one test, not several.
    tests["depth"] = [len(k) for k in tests["key"]]
    tests = tests.drop_duplicates(subset=["quarter", "direction", "key"], ignore_index=True)
    return tests, alias


def ancestors_of(keys: pd.Series, alias: dict[SegmentKey, SegmentKey]) -> list[frozenset[SegmentKey]]:
    """Per segment, the (renamed) ancestors of every name of its cases: what the explanation rule nests."""
    names: dict[SegmentKey, list[SegmentKey]] = {}
    for k, head in alias.items():
        names.setdefault(head, [head]).append(k)
    out = []
    for key in keys:
        anc = {
            alias.get(sub, sub)
            for n in names.get(key, [key])
            for r in range(1, len(n))
            for sub in combinations(n, r)
        }
        anc.discard(key)
        out.append(frozenset(anc))
    return out


def report(
    tests: pd.DataFrame,
    *,
    metric: str,
    fdr: float,
    history: int,
    most_specific_only: bool = True,
    alias: dict[SegmentKey, SegmentKey] | None = None,
) -> pd.DataFrame:
    """BH per quarter, keep the significant, reduce to the most specific explanations, rank and describe.

    ``alias`` maps segment names to the name their cases were tested under (see ``canonical_names``).
    """
    if tests.empty:
        return pd.DataFrame(columns=list(SIGNAL_COLUMNS))
    p = tests["p_value"].to_numpy(dtype=float)
    q = np.empty(len(tests))
    for idx in tests.groupby("quarter").indices.values():
        q[idx] = benjamini_hochberg(p[idx])
    sig = tests[q <= fdr].assign(q_value=q[q <= fdr])
    if not sig.empty:
        sig["ancestors"] = pd.Series(ancestors_of(sig["key"], alias or {}), index=sig.index)
    if most_specific_only and not sig.empty:
        sig = merge_equivalent(most_specific(sig, history=history))
    if sig.empty:
        return pd.DataFrame(columns=list(SIGNAL_COLUMNS))
    sig["score"] = -np.log10(np.maximum(sig["p_value"].to_numpy(dtype=float), 1e-300))
    sig = sig.sort_values(["quarter", "score", "depth"], ascending=[True, False, False], kind="stable")
    sig["rank"] = sig.groupby("quarter").cumcount() + 1
    for d in SIGNAL_DIMENSIONS:
        sig[d] = [dict(k).get(d, "") for k in sig["key"]]
    sig["metric"] = metric
    cols: list[list[Any]] = [sig[c].tolist() for c in ("key", "direction", "observed", "expected", "q_value")]
    sig["explanation"] = [
        explain_sentence(k, d, metric, float(o), float(e), float(q), history)
        for k, d, o, e, q in zip(*cols, strict=True)
    ]
    out = sig[list(SIGNAL_COLUMNS)].reset_index(drop=True)
    out["observed"] = out["observed"].astype("int64")
    out["rank"] = out["rank"].astype("int64")
    return out
