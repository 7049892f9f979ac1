"""What a report was built from: a content hash of the warehouse data and the code version.

For a warehouse the digest covers the current version of every submission (its canonical content hash,
computed when it was stored: independent of file format and row order) and the trade table's content, so
two nodes holding the same data state the same snapshot, and a report names exactly which submission
versions it read. Sources that are not a warehouse (files read by an engine) are hashed by their bytes.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

#: Columns of :attr:`DataSnapshot.submissions`.
SUBMISSION_COLUMNS = ("reporting_admin", "quarter", "version", "content_hash")


@dataclass(frozen=True)
class DataSnapshot:
    """The content hash of the data a report read, with the submissions it covers (empty for files)."""

    digest: str
    submissions: pd.DataFrame
    trade_rows: int

    @property
    def short(self) -> str:
        """The first 12 hex digits: what the page footers print."""
        return self.digest[:12]


def data_snapshot(warehouse: Any) -> DataSnapshot:
    """The snapshot of a :class:`~iprisk.warehouse.Warehouse`: sha256 over the current submissions
    (administration, quarter, version, content hash; sorted) and the trade table (sorted rows)."""
    log = warehouse.submissions()
    current = log[log["status"] == "current"] if len(log) else log
    subs = (
        current.loc[:, list(SUBMISSION_COLUMNS)]
        .sort_values(["reporting_admin", "quarter"])
        .reset_index(drop=True)
        if len(current)
        else pd.DataFrame(columns=list(SUBMISSION_COLUMNS))
    )
    trade_table = warehouse.trade()
    # sorted on every column in the engine: the same rows give the same stream whatever their stored order
    trade = trade_table.order_by(list(trade_table.columns)).to_pyarrow()
    digest = hashlib.sha256(b"iprisk-snapshot/1\n")
    for row in subs.to_dict("records"):
        digest.update((" ".join(str(row[c]) for c in SUBMISSION_COLUMNS) + "\n").encode())
    digest.update(b"trade\n" + _table_digest(trade).encode())
    return DataSnapshot(digest.hexdigest(), subs, trade.num_rows)


def file_snapshot(*paths: str | Path) -> DataSnapshot:
    """The snapshot of data read from files (e.g. Parquet read by an engine): sha256 over their bytes."""
    digest = hashlib.sha256(b"iprisk-snapshot/files\n")
    for path in sorted(Path(p) for p in paths):
        with Path(path).open("rb") as fh:
            digest.update(path.name.encode() + b"\n")
            while block := fh.read(1 << 20):
                digest.update(block)
    return DataSnapshot(digest.hexdigest(), pd.DataFrame(columns=list(SUBMISSION_COLUMNS)), 0)


def _table_digest(table: pa.Table) -> str:
    """sha256 of a table (its rows already in canonical order) as an Arrow stream."""
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema.remove_metadata()) as writer:
        writer.write_table(table.combine_chunks())
    return hashlib.sha256(sink.getvalue()).hexdigest()


def code_version() -> str:
    """The installed iprisk version (``0+unknown`` when run from a tree that is not installed)."""
    try:
        return version("iprisk")
    except PackageNotFoundError:
        return "0+unknown"
