"""The analysis tables a node serves: read from the folder ``iprisk analyse --out`` wrote (precomputed, so a
read is cheap), filtered by column values, limited to a port officer's ports, one page at a time.

The shape is what the dashboard (issue 13) pages on: ``columns`` in order, ``rows`` as lists, ``total`` rows
matching the filters before paging, and ``filters`` echoed back (the URL is the view).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from iprisk.errors import InvalidValue, NotFound
from iprisk.lanes import SEPARATOR

#: Tables of the analysis folder (``trends`` is Parquet, the others CSV).
ANALYSIS_TABLES = ("signals", "trends", "concentration", "lanes", "mirror", "propensity", "displacement")
#: Columns that name ports; a table without any cannot be shown to an account limited to ports.
PORT_COLUMNS = ("lane", "office", "departure_port", "arrival_port")


@dataclass(frozen=True)
class Page:
    table: str
    columns: list[str]
    rows: list[list[Any]]
    total: int
    offset: int
    filters: dict[str, str]


def _read(folder: Path, name: str) -> Any:
    if name not in ANALYSIS_TABLES:
        raise NotFound("analysis table", f"{name} (one of {', '.join(ANALYSIS_TABLES)})")
    path = folder / (f"{name}.parquet" if name == "trends" else f"{name}.csv")
    try:
        found = path.stat()
    except FileNotFoundError:
        raise NotFound("analysis table", f"{path}: run iprisk analyse --out {folder}") from None
    return _read_file(path, found.st_mtime_ns, found.st_size)


@lru_cache(maxsize=16)
def _read_file(path: Path, mtime_ns: int, size: int) -> Any:
    """A table as read, kept until ``iprisk analyse --out`` rewrites its file (new time and size): requests
    read it from memory. Callers filter it into new frames, never change it."""
    import pandas as pd

    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _ports_of(row: Mapping[str, Any], columns: list[str]) -> set[str]:
    found: set[str] = set()
    for column in columns:
        value = str(row[column])
        found.update(value.split(SEPARATOR) if column == "lane" else (value,))
    return found


def _cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def analysis_page(
    folder: Path,
    name: str,
    *,
    filters: Mapping[str, str] | None = None,
    ports: Collection[str] | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page:
    """One page of an analysis table; ``filters`` keep rows whose column equals the value (as text);
    ``ports`` (for an account limited to ports) keep rows naming one of them."""
    frame = _read(Path(folder), name)
    filters = dict(filters or {})
    unknown = [c for c in filters if c not in frame.columns]
    if unknown:
        raise InvalidValue(f"{name} has no column {unknown[0]!r} (columns: {', '.join(frame.columns)})")
    for column, value in filters.items():
        frame = frame[frame[column].astype(str) == value]
    if ports is not None:
        port_columns = [c for c in PORT_COLUMNS if c in frame.columns]
        if not port_columns:
            raise NotFound("analysis table", f"{name} for an account limited to ports (it names no port)")
        mask = [bool(_ports_of(row, port_columns) & set(ports)) for row in frame.to_dict(orient="records")]
        frame = frame[mask] if len(frame) else frame
    page = frame.iloc[offset : offset + limit]
    rows = [[_cell(v) for v in record] for record in page.itertuples(index=False, name=None)]
    return Page(name, [str(c) for c in frame.columns], rows, len(frame), offset, filters)
