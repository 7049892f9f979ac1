"""Read and validate declarations (format ``declarations``), e.g. the public KCS data through its mapping."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from iprisk.errors import InvalidInput, Problem
from iprisk.formats.mapping import ColumnMapping, resolve_mapping
from iprisk.formats.readers import RawTable, read_raw
from iprisk.formats.schema import DECLARATIONS
from iprisk.formats.validate import Collector, check_and_cast, prepare, sort_problems


def read_declarations(
    path: str | Path,
    *,
    mapping: str | Path | ColumnMapping | Mapping[str, Any] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    warnings: list[Problem] | None = None,
) -> pa.Table:
    """Read, validate and cast a declarations file; InvalidInput lists every problem found.

    Returns the canonical declarations columns in format order, then the extra columns the mapping keeps.
    ``item_no`` defaults to 1 and ``currency`` to EUR when absent or empty. ``encoding`` (CSV, JSON): the text
    encoding, detected when not given. The warnings (columns ignored, an encoding detected) are appended to
    ``warnings`` when a list is given.
    """
    column_mapping = resolve_mapping(mapping, "declarations")
    raw = read_raw(path, sheet=sheet, encoding=encoding)
    return validate_declarations(raw, mapping=column_mapping, warnings=warnings)


def validate_declarations(
    raw: RawTable, *, mapping: ColumnMapping | None = None, warnings: list[Problem] | None = None
) -> pa.Table:
    """Validate a table of strings already read (see :func:`read_declarations`)."""
    mapping = mapping or ColumnMapping("declarations")
    collector = Collector(raw.source)
    prepared = prepare(raw, DECLARATIONS, mapping, collector)
    table = check_and_cast(
        prepared, DECLARATIONS, collector, decimal_comma=raw.decimal_comma, unknown_country=True
    )
    if collector.total:
        raise InvalidInput(sort_problems(collector.problems), source=raw.source, total=collector.total)
    if warnings is not None:
        warnings.extend(collector.warnings)
    return table
