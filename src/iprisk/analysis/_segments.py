"""Segment counts for the signal detector: two small engine tables, every combination added up in numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.analysis._baseline import concentration
from iprisk.analysis._common import (
    CASES_IN_CELL,
    LINES_IN_CELL,
    SIGNAL_DIMENSIONS,
    SPREAD_CASE_KEY,
    all_quarters,
    cells,
    is_cells,
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
        return self._herfindahl(self.cells[:, window].mean(axis=1), one, 1, -1)[0]

    def concentrations(self, window: slice) -> list[np.ndarray]:
        """Per combination, each segment's Herfindahl index over its fine cells, over its coarse cells and
        over its offices (segments x 3), from the cells' sizes in ``window``: how many independent parts it
        is made of, at the grain of the cells and at that of an office, whose cases share its shocks."""
        fine = self.cells[:, window].mean(axis=1)  # once for every combination
        return [self._herfindahl(fine, cc.cell_segment, len(cc.keys), i) for i, cc in enumerate(self.combos)]

    def _herfindahl(self, fine: np.ndarray, cell_segment: np.ndarray, n: int, combo: int) -> np.ndarray:
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
    """Count ``metric`` (``cases`` or ``lines``) per segment and quarter for the total, every combination of
    up to ``max_depth`` dimensions (:func:`combos`) and all dimensions at once.

    ``t`` holds seizure lines, or the same lines folded into cells (:func:`iprisk.analysis._common.cells`,
    as ``analyse`` passes them; lines are folded here first). The engine makes two small tables: the fine
    cells (every dimension, the route and the quarter: lines and cases lying wholly in the cell) and, for
    cases, the rows of the cases spread over several cells. Every grouping is then added up in numpy over
    integer codes of the values: whole cases summed, spread cases counted distinct per segment. Two small
    queries instead of a union of 88 group-bys (whose compilation alone cost seconds), and no pandas frames
    of text; the counts are the same integers, in the same (sorted) order.
    """
    if metric not in ("cases", "lines"):
        raise ValueError(f"signals count cases or lines, not {metric!r}")
    dims = list(dims)
    folded = t if is_cells(t) else cells(t)
    try:
        fine, spread = _fetch(folded, metric, dims)
    finally:
        if folded is not t:
            folded.release()
    return _tally(fine, spread, dims, combos(dims, max_depth))


def _fetch(t: ir.Table, metric: str, dims: list[str]) -> tuple[pa.Table, pa.Table | None]:
    """From cells: per fine cell (every dimension and the route, :mod:`iprisk.lanes`, where the table has
    the ports) and quarter, its lines (``n``, what the dispersion model reads: a cheap, close proxy for
    cases there, see :func:`iprisk.analysis._baseline.composition_dispersion`) and the ``metric`` of its
    whole cases (``whole``); for cases, the distinct (key, quarter, dimensions) of the spread cases."""
    if {"departure_port", "arrival_port"} <= set(t.columns):
        route = lane_column(t.departure_port, t.arrival_port)
    else:
        route = ibis.literal(lane_key(None, None), type="string")
    fine = t.mutate(route=route)
    whole = fine[LINES_IN_CELL] if metric == "lines" else fine[CASES_IN_CELL]
    agg = fine.group_by([*dims, "route", "quarter"]).aggregate(
        n=fine[LINES_IN_CELL].sum().cast("int64"), whole=whole.sum().cast("int64")
    )
    got = agg.to_pyarrow()
    if metric == "lines":
        return got, None
    parts = t.filter(t[SPREAD_CASE_KEY].notnull())
    spread = parts.select(key=parts[SPREAD_CASE_KEY], quarter=parts.quarter, **{d: parts[d] for d in dims})
    return got, spread.distinct().to_pyarrow()


def _tally(
    fine: pa.Table, spread: pa.Table | None, dims: list[str], cs: list[tuple[str, ...]]
) -> SegmentCounts:
    """:class:`SegmentCounts` from :func:`_fetch`'s tables, in numpy over integer codes of the values.

    Values are coded per column in the sorted order of their text, an empty value where the text ``None``
    sorts (as the earlier shaping in pandas wrote it), so that segments, fine cells and coarse cells come in
    the sorted order of their values whichever engine counted them, and every statistic downstream adds
    them up in the same order."""
    quarters = all_quarters(pc.unique(fine["quarter"]).to_pylist())
    nq = len(quarters)
    empty = np.zeros(0, dtype=np.int64)
    if fine.num_rows == 0:
        return SegmentCounts(
            quarters,
            np.zeros(nq),
            [ComboCounts(c, [], np.zeros((0, nq)), empty) for c in cs],
            np.zeros((0, nq)),
            empty,
            ComboCounts(tuple(dims), [], np.zeros((0, nq)), empty),
            empty,
        )
    columns = [*dims, "route"]
    vocab: dict[str, list[str | None]] = {}
    code: dict[str, np.ndarray] = {}
    for c in columns:
        vocab[c], code[c] = _codes(fine[c])
    quarter = _codes(fine["quarter"], list(quarters))[1]
    # The fine cells (every dimension and the route) in sorted order, then their coarse cells (every
    # dimension, any route), together with those of the spread cases' rows.
    cell, first = _ranks([code[c] for c in columns], [len(vocab[c]) for c in columns])
    n_cells = first.size
    fine_mat = _sum_by(cell, quarter, _floats(fine["n"]), n_cells, nq)
    spread_dims = {d: empty for d in dims}
    if spread is not None and spread.num_rows:
        spread_dims = {d: _codes(spread[d], vocab[d])[1] for d in dims}
    both = {d: np.concatenate([code[d][first], spread_dims[d]]) for d in dims}
    coarse_of, coarse_first = _ranks([both[d] for d in dims], [len(vocab[d]) for d in dims])
    cell_coarse = coarse_of[:n_cells]
    coarse_dims = {d: both[d][coarse_first] for d in dims}
    n_coarse = coarse_first.size
    # The metric of the whole cases per coarse cell and quarter: every grouping adds these rows up.
    coarse_mat = _sum_by(cell_coarse[cell], quarter, _floats(fine["whole"]), n_coarse, nq)
    spread_rows = None
    if spread is not None and spread.num_rows:
        spread_rows = _Spread(
            coarse_of[n_cells:], _codes(spread["quarter"], list(quarters))[1], _key_codes(spread["key"]), nq
        )
    empty_value = {d: coarse_dims[d] == _null_code(vocab[d]) for d in dims}

    def grouping(combo: tuple[str, ...]) -> tuple[list[SegmentKey], np.ndarray, np.ndarray]:
        """The segments of ``combo`` (keys, counts) and each coarse cell's segment (-1: in none, an empty
        value in one of its dimensions)."""
        ok = np.ones(n_coarse, dtype=bool)
        for d in combo:
            ok &= ~empty_value[d]
        seg_of = np.full(n_coarse, -1, dtype=np.int64)
        if not ok.any():
            return [], np.zeros((0, nq)), seg_of
        seg, head = _ranks([coarse_dims[d][ok] for d in combo], [len(vocab[d]) for d in combo])
        seg_of[ok] = seg
        mat = _sum_rows(seg, coarse_mat[ok], head.size)
        if spread_rows is not None:
            mat += spread_rows.distinct(seg_of, head.size)
        where = np.flatnonzero(ok)[head]
        values = [np.asarray(vocab[d], dtype=object)[coarse_dims[d][where]] for d in combo]
        keys: list[SegmentKey] = [tuple(zip(combo, v, strict=True)) for v in zip(*values, strict=True)]
        return keys, mat, seg_of

    everything = np.zeros(n_coarse, dtype=np.int64)
    total = _sum_rows(everything, coarse_mat, 1)[0]
    if spread_rows is not None:
        total += spread_rows.distinct(everything, 1)[0]
    out: list[ComboCounts] = []
    for combo in cs:
        keys, mat, seg_of = grouping(combo)
        out.append(ComboCounts(combo, keys, mat, seg_of[cell_coarse]))
    keys, mat, _ = grouping(tuple(dims))
    coarse = ComboCounts(tuple(dims), keys, mat, empty)
    cell_office = code["office"][first] if "office" in dims else np.zeros(n_cells, dtype=np.int64)
    return SegmentCounts(quarters, total, out, fine_mat, cell_coarse, coarse, cell_office)


@dataclass(frozen=True)
class _Spread:
    """The rows of the cases spread over several cells: each one's coarse cell, quarter and case key (as
    codes)."""

    coarse: np.ndarray
    quarter: np.ndarray
    key: np.ndarray
    n_quarters: int

    def distinct(self, seg_of: np.ndarray, n: int) -> np.ndarray:
        """Distinct cases per segment and quarter (``n`` segments x quarters), ``seg_of`` the segment of each
        coarse cell (-1: in none)."""
        seg = seg_of[self.coarse]
        ok = seg >= 0
        n_keys = int(self.key.max()) + 1
        slot = seg[ok] * self.n_quarters + self.quarter[ok]
        pairs = np.unique(slot * n_keys + self.key[ok])
        counts = np.bincount(pairs // n_keys, minlength=n * self.n_quarters)
        return counts.reshape(n, self.n_quarters).astype(float)


def _text(col: pa.ChunkedArray) -> pa.Array:
    arr = col.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return arr


def _codes(
    col: pa.ChunkedArray, vocab: list[str | None] | None = None
) -> tuple[list[str | None], np.ndarray]:
    """Per row, the index of its value in ``vocab``; made here when not given: the distinct values in the
    sorted order of their text, an empty value (``None``) where the text ``None`` sorts (after a real one).
    A value ``vocab`` lacks gets -1."""
    enc = pc.dictionary_encode(_text(col))
    values: list[str | None] = [*enc.dictionary.to_pylist(), None]
    if vocab is None:
        present = values if enc.null_count else values[:-1]
        vocab = sorted(present, key=lambda v: ("None", 1) if v is None else (v, 0))
    index = {v: i for i, v in enumerate(vocab)}
    remap = np.array([index.get(v, -1) for v in values], dtype=np.int64)
    rows = enc.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)
    return vocab, remap[rows]


def _null_code(vocab: list[str | None]) -> int:
    return vocab.index(None) if None in vocab else -1


def _key_codes(col: pa.ChunkedArray) -> np.ndarray:
    """Case keys (integers on DuckDB, text on Spark) as codes 0..n-1."""
    enc = pc.dictionary_encode(col.combine_chunks())
    return np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _floats(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(col, 0).to_numpy(), dtype=float)


def _ranks(columns: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the rank of its tuple of codes among the distinct tuples (in their sorted order), and the
    first row of each: codes combined in mixed radix, re-ranked before the product could overflow int64."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    bound = 1
    for col, size in zip(columns, sizes, strict=True):
        size = max(size, 1)
        if bound * size >= 2**62:
            _, code = np.unique(code, return_inverse=True)
            bound = int(code.max()) + 1
        code = code * size + col
        bound *= size
    _, first, rank = np.unique(code, return_index=True, return_inverse=True)
    return rank.astype(np.int64).reshape(-1), first.astype(np.int64)


def _sum_by(row: np.ndarray, quarter: np.ndarray, weight: np.ndarray, n: int, nq: int) -> np.ndarray:
    """``n`` x ``nq``: the weights added up per (row, quarter)."""
    return np.bincount(row * nq + quarter, weights=weight, minlength=n * nq).reshape(n, nq)


def _sum_rows(seg: np.ndarray, mat: np.ndarray, n: int) -> np.ndarray:
    """``n`` x quarters: the rows of ``mat`` added up per segment ``seg``."""
    nq = mat.shape[1]
    return _sum_by(np.repeat(seg, nq), np.tile(np.arange(nq), seg.size), mat.ravel(), n, nq)


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
