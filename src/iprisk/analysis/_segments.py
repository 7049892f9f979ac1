"""Segment counts for the signal detector: one engine query for every combination of up to three dims."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._baseline import concentration
from iprisk.analysis._common import (
    CASES_IN_CELL,
    LINES_IN_CELL,
    SIGNAL_DIMENSIONS,
    SPREAD_CASE_KEY,
    all_quarters,
    case_key,
    is_cells,
    materialise,
)
from iprisk.lanes import lane_column, lane_key

#: A segment: ``((dimension, value), ...)`` in :data:`SIGNAL_DIMENSIONS` order; ``()`` is the total.
SegmentKey = tuple[tuple[str, str], ...]


#: The grain of a narrow surge, tested beside the combinations of up to three dimensions: one office x mode x
#: provenance x product (the administration follows from the office; the IPR type is left open).
NARROW_GRAIN: tuple[str, ...] = ("office", "transport_mode", "provenance_country", "product_category")


def combos(dims: Sequence[str] = SIGNAL_DIMENSIONS, max_depth: int = 3) -> list[tuple[str, ...]]:
    """Every combination of 1..``max_depth`` dimensions, plus :data:`NARROW_GRAIN` when its dimensions are
    there and deeper than ``max_depth`` (42 for six dimensions and depth three)."""
    out: list[tuple[str, ...]] = []
    for k in range(1, max_depth + 1):
        out.extend(combinations(dims, k))
    if set(NARROW_GRAIN) <= set(dims) and len(NARROW_GRAIN) > max_depth:
        out.append(tuple(d for d in dims if d in NARROW_GRAIN))
    return out


@dataclass
class ComboCounts:
    """A segments x quarters count matrix for one combination of dimensions."""

    dims: tuple[str, ...]
    keys: list[SegmentKey]
    counts: np.ndarray  # float, shape (segments, quarters)
    cell_segment: np.ndarray  # per cell of SegmentCounts.cells, its row here (-1: in no segment)


@dataclass
class SegmentCounts:
    quarters: list[str]
    total: np.ndarray  # shape (quarters,)
    combos: list[ComboCounts]
    cells: (
        np.ndarray
    )  # cells x quarters: the finest grain (every dimension and route; what segments are made of)
    cell_coarse: np.ndarray  # per cell, its coarse cell (every dimension, any route)
    coarse: ComboCounts | None = None  # the count (cases or lines) of every value of all dimensions at once
    # per cell, its office (0 for every cell when offices are not a dimension)
    cell_office: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # (segment, part) pairs per combination and part, the same for every tested quarter: made once
    _pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def total_concentration(self, window: slice) -> np.ndarray:
        """The total's three Herfindahl indices (see :meth:`concentrations`)."""
        one = np.zeros(len(self.cell_coarse), dtype=np.int64)
        return self._herfindahl(window, one, 1, -1)[0]

    def concentrations(self, window: slice) -> list[np.ndarray]:
        """Per combination, each segment's Herfindahl index over its fine cells, over its coarse cells and
        over its offices (segments x 3), from the cells' sizes in ``window``: how many independent parts it
        is made of, at the grain of the cells and at that of an office, whose cases share its shocks."""
        return [
            self._herfindahl(window, cc.cell_segment, len(cc.keys), i) for i, cc in enumerate(self.combos)
        ]

    def _herfindahl(self, window: slice, cell_segment: np.ndarray, n: int, combo: int) -> np.ndarray:
        fine = self.cells[:, window].mean(axis=1)
        out = np.ones((n, 3))
        if not fine.size:
            return out
        out[:, 0] = concentration(fine, cell_segment, n)
        for j, part in ((1, self.cell_coarse), (2, self.cell_office)):
            if part.size != fine.size:
                continue
            # The segment's size in each part (coarse cell, office) it touches: one pseudo-cell per such
            # (segment, part) pair, in pair order. Only pairs that occur: all segments x all parts would be
            # billions of empty pseudo-cells at 10 M lines (they add nothing to the sums; same result).
            if (combo, j) not in self._pairs:
                inside = cell_segment >= 0
                k = int(part.max()) + 1
                pairs, slot = np.unique(cell_segment[inside] * k + part[inside], return_inverse=True)
                self._pairs[combo, j] = (inside, slot, pairs // k)
            inside, slot, owner = self._pairs[combo, j]
            sizes = np.bincount(slot, fine[inside], owner.size)
            out[:, j] = concentration(sizes, owner, n)
        return out


def count_segments(
    t: ir.Table, metric: str, dims: Sequence[str] = SIGNAL_DIMENSIONS, max_depth: int = 3
) -> SegmentCounts:
    """Count ``metric`` (``cases`` or ``lines``) per segment and quarter in ONE engine query (a union of
    group-bys, one per combination plus the total), then shape it into matrices in Python (rows of the same
    segment and quarter are added up). ``t`` holds seizure lines, or the same lines folded into cells
    (:func:`iprisk.analysis._common.cells`): the counts are the same, from a tenth of the rows."""
    if metric not in ("cases", "lines"):
        raise ValueError(f"signals count cases or lines, not {metric!r}")
    dims = list(dims)
    cs = combos(dims, max_depth)
    if is_cells(t):
        cells, multi = _from_cells(t, metric, dims)
    elif metric == "lines":
        cells = t.group_by([*dims, "quarter"]).aggregate(n=t.count())
        multi = None
    else:
        # A case counts once per segment. Most cases sit in ONE cell (one value of every dimension): those
        # are counted by summing cell counts, which is exact and cheap. Only cases spread over several cells
        # (lines in two product categories, say) need a count of distinct cases per segment.
        base = t.select(key=case_key(t), quarter=t.quarter, **{d: t[d] for d in dims}).distinct()
        spread = base.group_by("key").aggregate(cells=base.count())
        base = base.join(spread, "key")
        single = base.filter(base.cells == 1)
        cells = single.group_by([*dims, "quarter"]).aggregate(n=single.count())
        multi = base.filter(base.cells > 1).drop("cells")
    # Materialised once (temporary tables in DuckDB, cached frames in Spark): every group-by reads them.
    cells = materialise(cells)
    cached = [cells]
    if multi is not None:
        multi = materialise(multi)
        cached.append(multi)
    parts = []
    # 0 is the total, 1..len(cs) the combinations; len(cs) + 1 the fine cells (below), len(cs) + 2 every
    # dimension at once (the coarse cells events are measured on).
    groupings = [(0, ()), *((i, c) for i, c in enumerate(cs, start=1)), (len(cs) + 2, tuple(dims))]
    for i, combo in groupings:
        sources = [(cells, "sum")] + ([(multi, "distinct")] if multi is not None else [])
        for src, how in sources:
            sub = src
            for d in combo:
                sub = sub.filter(sub[d].notnull())
            n = sub.n.sum() if how == "sum" else sub.key.nunique()
            agg = sub.group_by([*combo, "quarter"]).aggregate(n=n)
            agg = agg.mutate(
                combo=ibis.literal(i, type="int32"),
                route=ibis.null("string"),
                **{d: ibis.null("string") for d in dims if d not in combo},
            )
            parts.append(agg.select("combo", *dims, "route", "quarter", n=agg.n.cast("int64")))
    parts.append(_fine_cells(t, dims, combo_id=len(cs) + 1))
    try:
        # Through Arrow's own conversion (text deduplicated into shared objects): half the CPU of Ibis'
        # ``to_pandas`` with the shaping after it, measured on the 1 M-line cells, the same frame.
        df = ibis.union(*parts, distinct=False).to_pyarrow().to_pandas()
    finally:
        for c in cached:
            c.release()
    return _shape(df, dims, cs)


def _from_cells(t: ir.Table, metric: str, dims: list[str]) -> tuple[ir.Table, ir.Table | None]:
    """The two sources of :func:`count_segments` from lines already folded into cells
    (:func:`iprisk.analysis._common.cells`): counts per dimensions and quarter (lines, or the cases lying
    wholly in one cell), and for cases the rows of the cases spread over several cells (their key per
    quarter and dimensions, counted distinct per segment). The counts are those of the lines, exactly."""
    if metric == "lines":
        return t.group_by([*dims, "quarter"]).aggregate(n=t[LINES_IN_CELL].sum()), None
    whole = t.filter(t[SPREAD_CASE_KEY].isnull())
    counts = whole.group_by([*dims, "quarter"]).aggregate(n=whole[CASES_IN_CELL].sum())
    spread = t.filter(t[SPREAD_CASE_KEY].notnull())
    multi = spread.select(key=spread[SPREAD_CASE_KEY], quarter=spread.quarter, **{d: spread[d] for d in dims})
    return counts, multi.distinct()


def _fine_cells(t: ir.Table, dims: list[str], combo_id: int) -> ir.Table:
    """Lines per quarter at the finest grain of the data: every dimension and the route (the lane,
    :mod:`iprisk.lanes`, where the table has the ports). Their sizes tell how concentrated each segment is,
    hence how erratic (see :func:`iprisk.analysis._baseline.composition_dispersion`); lines are a cheap,
    close proxy for cases there."""
    if {"departure_port", "arrival_port"} <= set(t.columns):
        route = lane_column(t.departure_port, t.arrival_port)
    else:
        route = ibis.literal(lane_key(None, None), type="string")
    fine = t.mutate(route=route)
    lines = fine[LINES_IN_CELL].sum() if is_cells(t) else fine.count()
    agg = fine.group_by([*dims, "route", "quarter"]).aggregate(n=lines)
    agg = agg.mutate(combo=ibis.literal(combo_id, type="int32"))
    return agg.select("combo", *dims, "route", "quarter", n=agg.n.cast("int64"))


def _shape(df: pd.DataFrame, dims: list[str], cs: list[tuple[str, ...]]) -> SegmentCounts:
    """Matrices from the long counts: ``combo`` 0 is the total, 1..len(cs) the combinations, the next one
    the finest cells (every dimension and the route), the last one every dimension."""
    quarters = all_quarters(df["quarter"].astype(str))
    qpos = {q: i for i, q in enumerate(quarters)}
    total = np.zeros(len(quarters))
    tot = df[df["combo"] == 0]
    np.add.at(total, [qpos[q] for q in tot["quarter"]], tot["n"].to_numpy(dtype=float))
    cell_values, cells = _matrix(df[df["combo"] == len(cs) + 1], [*dims, "route"], qpos)
    out: list[ComboCounts] = []
    for i, combo in enumerate(cs, start=1):
        values, mat = _matrix(df[df["combo"] == i], list(combo), qpos)
        keys: list[SegmentKey] = [tuple(zip(combo, v, strict=True)) for v in values.itertuples(index=False)]
        cell_segment = np.full(len(cell_values), -1, dtype=np.int64)
        if keys and len(cell_values):
            cell_segment = _lookup(values, cell_values[list(combo)])
        out.append(ComboCounts(combo, keys, mat, cell_segment))
    cell_coarse = np.zeros(0, dtype=np.int64)
    if len(cell_values):
        cell_coarse = _sorted_codes(cell_values, dims)
    values, mat = _matrix(df[df["combo"] == len(cs) + 2], dims, qpos)
    keys = [tuple(zip(dims, v, strict=True)) for v in values.itertuples(index=False)]
    coarse = ComboCounts(tuple(dims), keys, mat, np.zeros(0, dtype=np.int64))
    cell_office = np.zeros(len(cell_values), dtype=np.int64)
    if "office" in dims and len(cell_values):
        cell_office = pd.factorize(cell_values["office"], sort=True)[0].astype(np.int64)
    return SegmentCounts(quarters, total, out, cells, cell_coarse, coarse, cell_office)


def _matrix(part: pd.DataFrame, cols: list[str], qpos: dict[str, int]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct values of ``cols`` (one row per segment, as text) and their segments x quarters matrix;
    rows of one segment and quarter add up."""
    if part.empty:
        return pd.DataFrame(columns=cols), np.zeros((0, len(qpos)))
    text = pd.DataFrame({c: part[c].astype(str).to_numpy() for c in cols})
    # Sorted: the same segments in the same order whatever order the engine returned them in, so that
    # every statistic downstream is computed identically on DuckDB and Spark.
    codes = _sorted_codes(text, cols)
    first = np.full(int(codes.max()) + 1, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    quarter = pd.Index(list(qpos)).get_indexer(pd.Index(part["quarter"].astype(str)))
    mat = np.zeros((first.size, len(qpos)))
    np.add.at(mat, (codes, quarter), part["n"].to_numpy(dtype=float))
    return text.iloc[first].reset_index(drop=True), mat


def _sorted_codes(text: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Per row, the rank of its values of ``cols`` among the distinct ones, in the order of the tuples of
    text (what ``pd.factorize(MultiIndex, sort=True)`` gives, from one column at a time: a sorted code per
    column, combined in mixed radix, re-ranked before the product could overflow)."""
    code = np.zeros(len(text), dtype=np.int64)
    bound = 1
    for c in cols:
        col, uniques = pd.factorize(text[c], sort=True)
        if bound * len(uniques) >= 2**62:
            _, code = np.unique(code, return_inverse=True)
            bound = int(code.max()) + 1
        code = code * len(uniques) + col
        bound *= len(uniques)
    return np.unique(code, return_inverse=True)[1].astype(np.int64)


def _lookup(keys: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Per row of ``rows`` (text of the same columns), the index of its value in ``keys`` (distinct, in
    sorted order: :func:`_matrix`), or -1."""
    code = np.zeros(len(rows), dtype=np.int64)
    key_code = np.zeros(len(keys), dtype=np.int64)
    bound = 1
    for c in keys.columns:
        vocabulary = pd.Index(pd.unique(keys[c]))
        bound *= len(vocabulary)
        if bound >= 2**62:  # too many combinations for one integer code: pandas' own lookup
            return pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(rows)).astype(np.int64)
        col = vocabulary.get_indexer(pd.Index(rows[c])).astype(np.int64)
        code = np.where((code < 0) | (col < 0), -1, code * len(vocabulary) + col)
        key_code = key_code * len(vocabulary) + vocabulary.get_indexer(pd.Index(keys[c])).astype(np.int64)
    order = np.argsort(key_code, kind="stable")
    at = np.clip(np.searchsorted(key_code, code, sorter=order), 0, len(keys) - 1)
    found = (code >= 0) & (key_code[order[at]] == code)
    return np.where(found, order[at], -1).astype(np.int64)


#: Segments with fewer cases than this over all quarters are not checked for equivalence: nothing smaller is
#: ever tested. Small segments matter: a new one of three cases under ten names would be ten tests of equal
#: p-value, and Benjamini-Hochberg would count them as ten discoveries' worth of evidence.
_MIN_EQUIVALENT = 3

#: Which name of the same cases is kept: fewer dimensions first, then by this order.
PREFERENCE = (
    "office",
    "product_category",
    "provenance_country",
    "transport_mode",
    "ipr_type",
    "reporting_admin",
)


def preference(key: SegmentKey) -> tuple[int, list[int]]:
    return len(key), sorted(PREFERENCE.index(d) if d in PREFERENCE else 99 for d, _ in key)


def compatible(a: SegmentKey, b: SegmentKey) -> bool:
    da, db = dict(a), dict(b)
    return all(da[k] == db[k] for k in da.keys() & db.keys())


def canonical_names(counts: SegmentCounts) -> dict[SegmentKey, SegmentKey]:
    """Map each segment to the shortest name of the same cases.

    Two compatible segments with the same count in every quarter are the same cases under two names: ``NL``
    and ``NLRTM`` when NL has one office, or ``toys / sea / CN`` and ``toys`` when all toys come by sea from
    CN. The detector tests each set of cases once, under its shortest name, so that nesting between names
    (needed to find the most specific explanation) is seen.
    """
    rows: dict[bytes, list[SegmentKey]] = {}
    for cc in counts.combos:
        if not cc.keys:
            continue
        big = cc.counts.sum(axis=1) >= _MIN_EQUIVALENT
        for i in np.flatnonzero(big):
            rows.setdefault(cc.counts[i].tobytes(), []).append(cc.keys[i])
    out: dict[SegmentKey, SegmentKey] = {}
    for keys in rows.values():
        if len(keys) < 2:
            continue
        ordered = sorted(keys, key=preference)
        heads: list[SegmentKey] = []
        for k in ordered:
            head = next((h for h in heads if compatible(h, k)), None)
            if head is None:
                heads.append(k)
            else:
                out[k] = head
    return out
