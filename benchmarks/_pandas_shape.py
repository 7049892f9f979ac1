"""The pandas baseline's shaping of long segment counts into the matrices the signals read
(:class:`iprisk.analysis._segments.SegmentCounts`), in plain pandas: a sorted ``factorize`` per column and
``np.add.at``. It was the engine's own shaping until ``count_segments`` added its groupings up in numpy over
integer codes (same matrices); the baseline keeps it, as plain pandas would do it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iprisk.analysis._common import all_quarters
from iprisk.analysis._segments import ComboCounts, SegmentCounts, SegmentKey


def shape(df: pd.DataFrame, dims: list[str], cs: list[tuple[str, ...]]) -> SegmentCounts:
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
