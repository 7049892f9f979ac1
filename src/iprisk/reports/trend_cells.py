"""The report's trend lines folded into cells in two passes over the lines: :func:`trend_cells`.

The report's trends cut three years of lines (7.5 M at the 10 M-line benchmark) by nine dimensions, one at
a time. :func:`iprisk.analysis._common.cells` folds them into cells so that each cut reads the cells, not the
lines; it keeps the analysis' general shape (one row per case and cell first, with every dimension's text,
then a second grouping, an anti-join and a semi-join), which costs the report most of its data queries.
The report only needs what :func:`~iprisk.analysis._common.metric_expr` reads from a table of cells, and
most cases lie wholly in one cell, so here:

1. **per case**, one grouping of the lines by case key keeping two integers: the smallest and the largest
   hash of the case's cell (the tuple of its quarter and dimensions). A case whose two are equal lies in one
   cell (two different cells of one case sharing a 64-bit hash: about 2^-64 per case); whole cases are then
   counted per cell hash, and the few spread ones keep their key;
2. **per cell**, one grouping of the lines by the dimensions' text with their lines, articles and retail
   value (every line, whole case or not: sums add up over any grouping of cells), the cell hash computed on
   this small result and joined to the counts of step 1;
3. only when some case is spread: its lines' (cell, case key) pairs, rows of no lines and no whole case
   that carry the key :func:`~iprisk.analysis._common.metric_expr` counts distinct.

The result has the columns of :func:`~iprisk.analysis._common.cells`, and every metric of any grouping of its
rows is the one the lines give. Two distinct cells sharing a hash (a collision among the cells of three
years, about 10^-8 for 700,000 cells) would merge their counts: it is checked, and the general fold used
then. The hash is DuckDB's 64-bit ``hash``; another engine (Spark's is 32 bits) gets the general fold.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from iprisk.analysis._common import (
    CASES_IN_CELL,
    LINES_IN_CELL,
    SPREAD_CASE_KEY,
    _backend_name,
    case_key,
    cells,
    materialise,
)

#: Columns of the intermediate tables: the hash of a line's cell, and the smallest and largest per case.
_CELL, _LOW, _HIGH = "cell_hash_", "cell_low_", "cell_high_"
#: Columns summed in a cell, as in :func:`~iprisk.analysis._common.cells`.
_SUMMED = ("articles", "retail_value_eur")


def trend_cells(lines: ir.Table, dims: Sequence[str]) -> ir.Table:
    """The seizure ``lines`` folded into cells of ``quarter``, ``reporting_admin`` and ``dims`` (those of
    them ``lines`` has), in the format of :func:`~iprisk.analysis._common.cells`. Materialised in a table of
    the caller's own (:func:`~iprisk.analysis._common.materialise`): release it with ``.release()`` when
    done."""
    keys = [c for c in dict.fromkeys(("quarter", "reporting_admin", *dims)) if c in lines.columns]
    summed = [c for c in _SUMMED if c in lines.columns]
    if _backend_name(lines) != "duckdb":
        return _general(lines, keys, summed)
    cases = _cases_per_cell(lines, keys)
    sums = _sums_per_cell(lines, keys, summed)
    try:
        if int(sums.count().to_pyarrow().as_py()) != int(sums[_CELL].nunique().to_pyarrow().as_py()):
            return _general(lines, keys, summed)  # two cells share a hash
        whole = cases.filter(cases[SPREAD_CASE_KEY].isnull())
        per_cell = sums.left_join(whole, sums[_CELL] == whole[_CELL]).select(
            *keys,
            **{LINES_IN_CELL: sums[LINES_IN_CELL], CASES_IN_CELL: whole[CASES_IN_CELL].fill_null(0)},
            **{c: sums[c] for c in summed},
            **{SPREAD_CASE_KEY: ibis.null(cases[SPREAD_CASE_KEY].type())},
        )
        spread = cases.filter(cases[SPREAD_CASE_KEY].notnull()).select(SPREAD_CASE_KEY)
        if int(spread.count().to_pyarrow().as_py()):
            per_cell = ibis.union(per_cell, _spread_rows(lines, keys, summed, spread), distinct=False)
        return materialise(per_cell)
    finally:
        cases.release()
        sums.release()


def _general(lines: ir.Table, keys: Sequence[str], summed: Sequence[str]) -> ir.Table:
    """The analysis' general fold of the same columns."""
    return cells(lines.select(*keys, "case_id", *summed), extra=keys)


def _cell_hash(t: ir.Table, keys: Sequence[str]) -> ir.Value:
    return ibis.struct({c: t[c] for c in keys}).hash()


def _cases_per_cell(lines: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Step 1: whole cases counted per cell hash (``spread_case_key_`` null), and one row per spread case
    (its key, no cell)."""
    t = lines.mutate(**{_CELL: _cell_hash(lines, keys), SPREAD_CASE_KEY: case_key(lines)})
    per_case = t.group_by(SPREAD_CASE_KEY).aggregate(**{_LOW: t[_CELL].min(), _HIGH: t[_CELL].max()})
    whole = per_case[_LOW] == per_case[_HIGH]
    counted = per_case.group_by(
        **{
            _CELL: whole.ifelse(per_case[_LOW], ibis.null(per_case[_LOW].type())),
            SPREAD_CASE_KEY: whole.ifelse(
                ibis.null(per_case[SPREAD_CASE_KEY].type()), per_case[SPREAD_CASE_KEY]
            ),
        }
    ).aggregate(**{CASES_IN_CELL: per_case.count().cast("int64")})
    return materialise(counted)


def _sums_per_cell(lines: ir.Table, keys: Sequence[str], summed: Sequence[str]) -> ir.Table:
    """Step 2: lines and sums of every line per cell, with the cell's hash."""
    per_cell = lines.group_by(keys).aggregate(
        **{LINES_IN_CELL: lines.count().cast("int64")}, **{c: lines[c].sum() for c in summed}
    )
    return materialise(per_cell.mutate(**{_CELL: _cell_hash(per_cell, keys)}))


def _spread_rows(lines: ir.Table, keys: Sequence[str], summed: Sequence[str], spread: ir.Table) -> ir.Table:
    """Step 3: a row per cell a spread case touches, with its key and nothing to add up (its lines and sums
    are in the rows of step 2)."""
    t = lines.mutate(**{SPREAD_CASE_KEY: case_key(lines)})
    touched = t.semi_join(spread, SPREAD_CASE_KEY).select(*keys, SPREAD_CASE_KEY).distinct()
    return touched.select(
        *keys,
        **{
            LINES_IN_CELL: ibis.literal(0, type="int64"),
            CASES_IN_CELL: ibis.literal(0, type="int64"),
        },
        **{c: ibis.literal(0, type=lines[c].type()) for c in summed},
        **{SPREAD_CASE_KEY: touched[SPREAD_CASE_KEY]},
    )
