"""Emerging risks: segments whose quarter departs from what their own history predicts.

A segment is a combination of up to three of reporting administration, office, transport mode, provenance,
product category and IPR type (41 combinations). Per quarter, every segment with enough history is tested
against its negative-binomial baseline with season, trend and a dispersion that follows the segment's
composition (see :mod:`iprisk.analysis._baseline`); the false-discovery
rate is controlled with Benjamini-Hochberg across all tests of the quarter; and of the significant segments
only the most specific one that explains a surge is reported (see :mod:`iprisk.analysis._explain`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._baseline import (
    benjamini_hochberg,
    forecast,
    nb_lower,
    nb_upper,
    new_segment_p,
    seasonal_factors,
)
from iprisk.analysis._common import SIGNAL_DIMENSIONS, check_dimensions, quarter_of_year
from iprisk.analysis._explain import merge_equivalent
from iprisk.analysis._segments import SegmentCounts, SegmentKey, canonical_names, count_segments
from iprisk.analysis.events import CellCounts, assign_events
from iprisk.periods import Quarter

#: Columns of the table :func:`signals` returns: facts (keys and numbers), no sentences; ``previous`` is the
#: count of the quarter before, ``span`` the quarters of history the test looked at (for ``new``: the quarters
#: before the previous one, all empty). :mod:`iprisk.reports` writes them in words.
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
    "previous",
    "span",
    "event_id",
    "role",
    "share",
)


#: Quarters of history (at most) from which a segment's dispersion is estimated; its expectation uses
#: the ``history`` quarters before the tested one.
DISPERSION_HISTORY = 20

#: The fewest quarters of history a tested quarter needs: signals start in the fifth quarter of data.
MIN_HISTORY = 4

#: Columns of :func:`segment_tests`.
_TEST_COLUMNS = (
    "quarter",
    "direction",
    "key",
    "depth",
    "observed",
    "previous",
    "expected",
    "dispersion",
    "alpha_eff",
    "p_value",
    "span",
)


def signals(
    seizures: ir.Table,
    *,
    metric: str = "cases",
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
    history: int = 8,
    min_history: int = MIN_HISTORY,
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
        Seizure lines (canonical columns plus ``quarter``), e.g. ``Warehouse.seizures()``, or the same lines
        folded into cells (:func:`iprisk.analysis._common.cells`, as :func:`iprisk.analysis.analyse` does):
        the same signals from a tenth of the rows.
    metric : {"cases", "lines"}
        What is counted per segment; cases are distinct ``(reporting_admin, case_id)``.
    start, end : str or Quarter, optional
        Quarters to report (inclusive). Up to :data:`DISPERSION_HISTORY` quarters before ``start`` are read
        as history.
    history : int
        Quarters of history the expectation uses (at least 4; 8 or more recommended). The dispersion, and
        "nothing before" for ``new``, use all quarters before the tested one, up to
        :data:`DISPERSION_HISTORY`.
    min_history : int
        A quarter is tested once this many quarters of history exist (at least 4: from the fifth quarter of
        data). With fewer than ``history`` quarters the expectation uses all there are, with the extra
        uncertainty of a short history (see :mod:`iprisk.analysis._baseline`).
    fdr : float
        False-discovery rate controlled per quarter across all tests (Benjamini-Hochberg).
    dimensions, max_depth
        Dimensions segments are built from, and the most combined at once.
    min_expected, min_expected_down : float
        A segment is tested for a rise when its expectation is at least ``min_expected``, for a drop when at
        least ``min_expected_down`` (below that a drop can never be significant: testing it only costs
        power).
    min_new : int
        A segment with nothing in its whole history before the previous quarter is tested as ``new`` when it
        and the previous quarter together reach this many cases (so in its first and second quarter); it is
        reported once, in the first quarter where it is significant.
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
    t = seizures
    if end is not None:
        t = t.filter(t.quarter <= str(Quarter.parse(str(end))))
    if start is not None:
        t = t.filter(t.quarter >= str(Quarter.parse(str(start)) - max(history, DISPERSION_HISTORY)))
    _check(history, min_history, fdr)
    counts = count_segments(t, metric, dims, max_depth)
    return signals_from_counts(
        counts,
        metric=metric,
        start=start,
        history=history,
        min_history=min_history,
        fdr=fdr,
        min_expected=min_expected,
        min_expected_down=min_expected_down,
        min_new=min_new,
        most_specific_only=most_specific_only,
    )


def _check(history: int, min_history: int, fdr: float) -> None:
    if history < MIN_HISTORY:
        raise ValueError(f"history must be at least {MIN_HISTORY} quarters, not {history}")
    if not MIN_HISTORY <= min_history <= history:
        raise ValueError(
            f"min_history must be between {MIN_HISTORY} and history ({history}), not {min_history}"
        )
    if not 0 < fdr < 1:
        raise ValueError(f"fdr must be in (0, 1), not {fdr}")


def signals_from_counts(
    counts: SegmentCounts,
    *,
    metric: str = "cases",
    start: str | Quarter | None = None,
    history: int = 8,
    min_history: int = MIN_HISTORY,
    fdr: float = 0.05,
    min_expected: float = 2.0,
    min_expected_down: float = 5.0,
    min_new: int = 3,
    most_specific_only: bool = True,
) -> pd.DataFrame:
    """:func:`signals` on segment counts already made (``count_segments``): the statistics alone."""
    _check(history, min_history, fdr)
    tests = _tests_and_names(
        counts,
        history=history,
        min_history=min_history,
        min_expected=min_expected,
        min_expected_down=min_expected_down,
        min_new=min_new,
    )
    if start is not None:
        tests = tests[tests["quarter"] >= str(Quarter.parse(str(start)))]
    return report(
        tests, counts, metric=metric, fdr=fdr, history=history, most_specific_only=most_specific_only
    )


def segment_tests(
    counts: SegmentCounts,
    *,
    history: int = 8,
    min_history: int = MIN_HISTORY,
    min_expected: float = 2.0,
    min_expected_down: float = 5.0,
    min_new: int = 3,
) -> pd.DataFrame:
    """Every test the detector makes: one row per (quarter, segment, direction) with its p-value.

    Columns: quarter, direction, key (tuple of (dimension, value)), depth, observed, previous (the count of
    the quarter before), expected, dispersion (the segment's ``alpha``; 0 for ``new``), alpha_eff (the
    predictive over-dispersion the test used), p_value, span (the quarters of history the test looked at; for
    ``new``, the quarters before the previous one, all empty).
    """
    return _tests_and_names(
        counts,
        history=history,
        min_history=min_history,
        min_expected=min_expected,
        min_expected_down=min_expected_down,
        min_new=min_new,
    )


def _tests_and_names(
    counts: SegmentCounts,
    *,
    history: int,
    min_history: int,
    min_expected: float,
    min_expected_down: float,
    min_new: int,
) -> pd.DataFrame:
    alias = canonical_names(counts)
    live = [cc for cc in counts.combos if cc.keys]
    if not live:
        return pd.DataFrame(columns=list(_TEST_COLUMNS))
    keys = [alias.get(k, k) for cc in live for k in cc.keys]
    segs = _Segments(
        counts=np.concatenate([cc.counts for cc in live]),
        group=np.concatenate([np.full(len(cc.keys), i) for i, cc in enumerate(live)]),
        keys=keys,
        name=pd.factorize(pd.Series(keys, dtype=object))[0] if alias else np.arange(len(keys)),
    )
    frames = [
        frame
        for j in range(min_history, len(counts.quarters))
        for frame in _quarter_tests(
            counts,
            segs,
            j,
            history=history,
            min_expected=min_expected,
            min_expected_down=min_expected_down,
            min_new=min_new,
        )
    ]
    if not frames:
        return pd.DataFrame(columns=list(_TEST_COLUMNS))
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class _Segments:
    """Every live segment of every combination, stacked: counts (segments x quarters), the combination
    each belongs to, and its (canonical) name."""

    counts: np.ndarray
    group: np.ndarray
    keys: list[SegmentKey]
    name: np.ndarray  # per segment, a number of its (canonical) name

    def first_of_each_name(self, idx: np.ndarray) -> np.ndarray:
        """``idx`` (ascending) without the segments whose name an earlier one of ``idx`` has: segments renamed
        to their shortest equivalent name are one test, not several (the first one's)."""
        _, first = np.unique(self.name[idx], return_index=True)
        return idx[np.sort(first)]


def _quarter_tests(
    counts: SegmentCounts,
    segs: _Segments,
    j: int,
    *,
    history: int,
    min_expected: float,
    min_expected_down: float,
    min_new: int,
) -> list[pd.DataFrame]:
    """The up, down and new tests of quarter ``j`` (its expectation from up to ``history`` quarters)."""
    history = min(history, j)
    qoy = np.asarray(quarter_of_year(counts.quarters))
    past = slice(max(0, j - max(history, DISPERSION_HISTORY)), j)
    herfindahl = np.concatenate(
        [
            h
            for cc, h in zip(counts.combos, counts.concentrations(slice(j - history, j)), strict=True)
            if cc.keys
        ]
    )
    fc = forecast(
        segs.counts[:, past],
        qoy[past],
        int(qoy[j]),
        counts.total[past],
        herfindahl,
        segs.group,
        history,
        counts.total_concentration(slice(j - history, j)),
    )
    y, prev = segs.counts[:, j], segs.counts[:, j - 1]
    out = []
    for direction, sel in (("up", fc.mu >= min_expected), ("down", fc.mu >= min_expected_down)):
        idx = segs.first_of_each_name(np.flatnonzero(sel))
        tail = nb_upper if direction == "up" else nb_lower
        a_eff = fc.alpha_eff[idx]
        p = tail(y[idx], fc.mu[idx], a_eff)
        out.append(
            _frame(
                counts.quarters[j],
                direction,
                segs,
                idx,
                y,
                prev,
                fc.mu[idx],
                fc.alpha[idx],
                a_eff,
                p,
                history,
            )
        )
    # "new": nothing in the whole history before the previous quarter (up to DISPERSION_HISTORY quarters:
    # nothing in five years says more than nothing in two), and the two quarters together reach `min_new`.
    # A new modus operandi often starts with one or two cases, so a test of the first quarter alone would
    # miss it; a segment significant in both quarters is reported once (see _first_time_new).
    quiet = j - 1 - past.start
    old = segs.counts[:, past.start : j - 1].sum(axis=1) > 0
    idx = segs.first_of_each_name(np.flatnonzero(~old & (y > 0) & (y + prev >= min_new)))
    if quiet > 0 and idx.size:
        # Given the k cases of the history and this quarter, all k fell in the last two quarters: how likely
        # is that if the segment's rate had been constant (seasonal weights from the total)?
        f = seasonal_factors(counts.total[past], qoy[past])
        weights = f[np.append(qoy[past], qoy[j]) - 1]
        k = y[idx] + prev[idx]
        p = new_segment_p(k, weights[-2:].sum() / weights.sum())
        expected = k * weights[-1] / weights.sum()
        zero = np.zeros(idx.size)
        out.append(_frame(counts.quarters[j], "new", segs, idx, y, prev, expected, zero, zero, p, quiet))
    return [f for f in out if not f.empty]


def _frame(
    quarter: str,
    direction: str,
    segs: _Segments,
    idx: np.ndarray,
    y: np.ndarray,
    prev: np.ndarray,
    expected: np.ndarray,
    dispersion: np.ndarray,
    alpha_eff: np.ndarray,
    p: np.ndarray,
    span: int,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quarter": quarter,
            "direction": direction,
            "key": [segs.keys[i] for i in idx],
            "depth": [len(segs.keys[i]) for i in idx],
            "observed": y[idx],
            "previous": prev[idx],
            "expected": expected,
            "dispersion": dispersion,
            "alpha_eff": alpha_eff,
            "p_value": p,
            "span": span,
        },
        columns=list(_TEST_COLUMNS),
    )


def _first_time_new(sig: pd.DataFrame) -> pd.DataFrame:
    """A new segment is tested in its first two quarters; report it once, in the first significant one."""
    new = sig["direction"] == "new"
    if not new.any():
        return sig
    seen = set(zip(sig.loc[new, "quarter"], sig.loc[new, "key"], strict=True))
    again = [
        is_new and (str(Quarter.parse(q) - 1), k) in seen
        for is_new, q, k in zip(new, sig["quarter"], sig["key"], strict=True)
    ]
    return sig[~np.asarray(again, dtype=bool)]


def report(
    tests: pd.DataFrame,
    counts: SegmentCounts,
    *,
    metric: str,
    fdr: float,
    history: int,
    most_specific_only: bool = True,
) -> pd.DataFrame:
    """BH per quarter, keep the significant, group them into events, rank and describe.

    Every significant segment (one name per set of cases) joins an event (see :mod:`iprisk.analysis.events`);
    with ``most_specific_only`` the narrower ones (shares of a surge spread over their event's headline)
    are left out.
    """
    if tests.empty:
        return pd.DataFrame(columns=list(SIGNAL_COLUMNS))
    p = tests["p_value"].to_numpy(dtype=float)
    q = np.empty(len(tests))
    cutoff: dict[str, float] = {}
    for quarter, idx in tests.groupby("quarter").indices.items():
        q[idx] = benjamini_hochberg(p[idx])
        rejected = p[idx][q[idx] <= fdr]
        cutoff[str(quarter)] = float(rejected.max()) if rejected.size else 0.0
    sig = merge_equivalent(_first_time_new(tests[q <= fdr].assign(q_value=q[q <= fdr])))
    if sig.empty:
        return pd.DataFrame(columns=list(SIGNAL_COLUMNS))
    sig = assign_events(sig.reset_index(drop=True), CellCounts.of(counts), p_cutoff=cutoff, history=history)
    sig["score"] = -np.log10(np.maximum(sig["p_value"].to_numpy(dtype=float), 1e-300))
    sig["event_id"] = _event_ids(sig)
    if most_specific_only:
        sig = sig[sig["role"] != "narrower"]
    sig = sig.sort_values(["quarter", "score", "depth"], ascending=[True, False, False], kind="stable")
    sig["rank"] = sig.groupby("quarter").cumcount() + 1
    for d in SIGNAL_DIMENSIONS:
        sig[d] = [dict(k).get(d, "") for k in sig["key"]]
    sig["metric"] = metric
    out = sig[list(SIGNAL_COLUMNS)].reset_index(drop=True)
    for col in ("observed", "rank", "previous", "span"):
        out[col] = out[col].astype("int64")
    return out


def _event_ids(sig: pd.DataFrame) -> list[str]:
    """``2016Q3-1`` for the first event of 2016Q3: events numbered by their headline's score."""
    heads = sig[sig["role"] == "headline"].sort_values(
        ["quarter", "score"], ascending=[True, False], kind="stable"
    )
    number = heads.groupby("quarter").cumcount() + 1
    ids = {label: f"{q}-{n}" for label, q, n in zip(heads.index, heads["quarter"], number, strict=True)}
    return [ids[h] for h in sig["head"]]
