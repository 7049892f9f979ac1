"""Trade statistics: read and check a trade table, then replace the quarters it covers, atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from iprisk.errors import InvalidInput, Problem, UnsupportedFormat
from iprisk.formats.trade import TRADE_OPTIONAL
from iprisk.periods import Quarter
from iprisk.warehouse._schema import TRADE, TRADE_SCHEMA

# Office and ports may be left out (read as NULL): national figures, or traffic known per office only.
_OPTIONAL = TRADE_OPTIONAL
_MAX_REPORTED = 100


def _read(path: Path) -> pa.Table:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if suffix == ".csv":
        import pyarrow.csv as pcsv

        # Codes as text so that hs_chapter "01" keeps its leading zero.
        text = {f.name: f.type for f in TRADE_SCHEMA if pa.types.is_string(f.type)}
        return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=text))
    raise UnsupportedFormat(str(path), "trade statistics are read from .parquet or .csv")


def normalise_trade(data: Any) -> pa.Table:
    """A trade table (path, pyarrow Table or pandas DataFrame) with the canonical columns, types and quarters.

    Raises InvalidInput listing missing columns, values of the wrong type and malformed quarters.
    """
    source = None
    if isinstance(data, str | Path):
        source = str(data)
        table = _read(Path(data))
    elif isinstance(data, pa.Table):
        table = data
    else:  # pandas DataFrame, or anything pyarrow understands
        table = pa.Table.from_pandas(data, preserve_index=False)
    names = {n.strip().lower(): n for n in table.column_names}
    problems: list[Problem] = []
    columns: list[pa.Array | pa.ChunkedArray] = []
    for field in TRADE_SCHEMA:
        if field.name not in names:
            if field.name in _OPTIONAL:
                columns.append(pa.nulls(table.num_rows, field.type))
                continue
            problems.append(Problem("required_column", "column missing", column=field.name, file=source))
            continue
        col = table[names[field.name]]
        if field.name == "hs_chapter" and pa.types.is_integer(col.type):
            col = pc.utf8_lpad(col.cast(pa.string()), 2, "0")  # chapter 1 is "01"
        try:
            columns.append(col.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            problems.append(
                Problem("type", f"cannot read as {field.type}: {exc}", column=field.name, file=source)
            )
    if problems:
        raise InvalidInput(problems, source=source)
    out = pa.table(columns, schema=TRADE_SCHEMA)
    quarters: dict[str, str] = {}
    bad = 0
    for i, text in enumerate(out["quarter"].to_pylist()):
        if text in quarters:
            continue
        try:
            quarters[text] = str(Quarter.parse(text))
        except ValueError:
            bad += 1
            if len(problems) < _MAX_REPORTED:
                problems.append(
                    Problem(
                        "quarter",
                        "not a quarter (YYYYQn)",
                        row=i + 1,
                        column="quarter",
                        value=text,
                        file=source,
                    )
                )
    if problems:
        raise InvalidInput(problems, source=source, total=bad)
    if any(k != v for k, v in quarters.items()):
        keys = pa.array(list(quarters), pa.string())
        values = pa.array(list(quarters.values()), pa.string())
        out = out.set_column(0, "quarter", pc.take(values, pc.index_in(out["quarter"], keys)))
    return out


def delete_quarters(duck: Any, quarters: list[str]) -> None:
    if quarters:
        marks = ", ".join("?" for _ in quarters)
        duck.execute(f'DELETE FROM "{TRADE}" WHERE quarter IN ({marks})', quarters)


def insert_trade(duck: Any, table: pa.Table) -> None:
    duck.register("_iprisk_trade", table)
    try:
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        duck.execute(f'INSERT INTO "{TRADE}" ({cols}) SELECT {cols} FROM _iprisk_trade')
    finally:
        duck.unregister("_iprisk_trade")


def replace_quarters(duck: Any, table: pa.Table) -> list[str]:
    """Delete the trade rows of the quarters in ``table`` and insert ``table``, in one transaction."""
    from iprisk.warehouse._submit import rollback

    quarters = sorted(set(table["quarter"].to_pylist()))
    duck.execute("BEGIN TRANSACTION")
    try:
        delete_quarters(duck, quarters)
        insert_trade(duck, table)
        duck.execute("COMMIT")
    except BaseException:
        rollback(duck)
        raise
    return quarters
