"""Read and validate a quarterly seizure-statistics submission (format ``seizures``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.codes import COUNTRY_CODES
from iprisk.errors import InvalidSubmission, Problem
from iprisk.formats.mapping import ColumnMapping, resolve_mapping
from iprisk.formats.readers import RawTable, read_raw
from iprisk.formats.schema import SEIZURES
from iprisk.formats.validate import Collector, check_and_cast, prepare, sort_problems
from iprisk.periods import Quarter

_T = TypeVar("_T")


@dataclass
class SeizureBatch:
    """A valid submission: the canonical table, whose it is (admin), which quarter, and its content hash."""

    table: pa.Table
    admin: str
    quarter: Quarter
    content_hash: str
    source: str
    warnings: list[Problem] = field(default_factory=list)
    #: warnings found (``>= len(warnings)``: details are capped like problems)
    warnings_total: int = 0

    @property
    def rows(self) -> int:
        return self.table.num_rows


def read_seizures(
    path: str | Path,
    *,
    mapping: str | Path | ColumnMapping | Mapping[str, Any] | None = None,
    admin: str | None = None,
    quarter: Quarter | str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    ignore_unknown_columns: bool = False,
    allow_empty: bool = False,
) -> SeizureBatch:
    """Read, validate and cast a seizures file; InvalidSubmission lists every problem found.

    ``admin`` / ``quarter`` given: every row must carry that administration and fall in that quarter.
    Absent: they are inferred from the rows, which must all share one administration and one quarter.
    ``encoding`` (CSV, JSON): the text encoding, detected when not given. A column the format does not know
    is refused unless ``ignore_unknown_columns``. A file without rows is an empty quarter only with
    ``allow_empty`` and both ``admin`` and ``quarter``: storing it replaces what the quarter held.
    """
    column_mapping = resolve_mapping(mapping, "seizures")
    raw = read_raw(path, sheet=sheet, encoding=encoding)
    return validate_seizures(
        raw,
        mapping=column_mapping,
        admin=admin,
        quarter=quarter,
        ignore_unknown_columns=ignore_unknown_columns,
        allow_empty=allow_empty,
    )


def validate_seizures(
    raw: RawTable,
    *,
    mapping: ColumnMapping | None = None,
    admin: str | None = None,
    quarter: Quarter | str | None = None,
    ignore_unknown_columns: bool = False,
    allow_empty: bool = False,
) -> SeizureBatch:
    """Validate a table of strings already read (see :func:`read_seizures`)."""
    mapping = mapping or ColumnMapping("seizures")
    given_quarter = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    collector = Collector(raw.source)
    prepared = prepare(raw, SEIZURES, mapping, collector, ignore_unknown=ignore_unknown_columns)
    table = check_and_cast(prepared, SEIZURES, collector, decimal_comma=raw.decimal_comma, port_warnings=True)
    order = _key_order(table)
    if "case_id" not in prepared.missing and "line_no" not in prepared.missing:
        _check_duplicates(table, order, collector)
    if admin is not None and admin not in COUNTRY_CODES:
        hint = " (codes are upper-case)" if admin.strip().upper() in COUNTRY_CODES else ""
        collector.file(
            "admin_code", f"the administration given is not an ISO 3166-1 alpha-2 code{hint}", value=admin
        )
    found_admin = _check_admin(table, prepared.table.column("reporting_admin"), admin, collector)
    found_quarter = _check_quarter(table, prepared.table.column("detention_date"), given_quarter, collector)
    if table.num_rows == 0 and not (allow_empty and found_admin is not None and found_quarter is not None):
        collector.file(
            "empty",
            "the file has no data rows; storing it would empty the quarter: to do so on purpose, give the "
            "administration, the quarter and allow_empty (--allow-empty)",
        )
    if collector.total:
        raise InvalidSubmission(sort_problems(collector.problems), source=raw.source, total=collector.total)
    assert found_admin is not None and found_quarter is not None
    return SeizureBatch(
        table=table,
        admin=found_admin,
        quarter=found_quarter,
        content_hash=_hash_sorted(table, order),
        source=raw.source,
        warnings=collector.warnings,
        warnings_total=collector.warnings_total,
    )


def _key_order(table: pa.Table) -> pa.Array:
    """Row order by (case_id, line_no); stable, so the first occurrence of a key comes first."""
    keys = table.select(["case_id", "line_no"])
    return pc.sort_indices(keys, sort_keys=[("case_id", "ascending"), ("line_no", "ascending")])


def _check_duplicates(table: pa.Table, order: pa.Array, collector: Collector) -> None:
    """Report every repeat of a (case_id, line_no) key with the row of its first occurrence."""
    n = table.num_rows
    if n < 2:
        return
    case = pc.take(table.column("case_id"), order)
    line = pc.take(table.column("line_no"), order)
    same = pc.and_(
        pc.equal(case.slice(1), case.slice(0, n - 1)), pc.equal(line.slice(1), line.slice(0, n - 1))
    )
    repeat = np.concatenate([[False], pc.fill_null(same, False).to_numpy(zero_copy_only=False)])
    if not repeat.any():
        return
    positions = np.arange(n)
    run_start = np.maximum.accumulate(np.where(repeat, 0, positions))
    rows = order.to_numpy()
    mask = np.zeros(n, dtype=bool)
    mask[rows[repeat]] = True
    first = dict(zip(rows[repeat].tolist(), rows[run_start[repeat]].tolist(), strict=True))
    values = pc.binary_join_element_wise(
        table.column("case_id"), table.column("line_no").cast(pa.string()), "/"
    )
    collector.rows(
        "duplicate_key",
        pa.array(mask),
        "case_id",
        values,
        lambda _v, i: f"(case_id, line_no) repeats row {first[i] + 1}",
    )


def _counts(values: pa.ChunkedArray) -> list[tuple[str, int]]:
    vc = pc.value_counts(pc.drop_null(values))
    pairs = [(str(v), int(c)) for v, c in zip(vc.field(0).to_pylist(), vc.field(1).to_pylist(), strict=True)]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def _listing(pairs: Sequence[tuple[object, int]], limit: int = 8) -> str:
    shown = ", ".join(f"{v} ({c} row{'s' if c != 1 else ''})" for v, c in pairs[:limit])
    return shown + (f", ... ({len(pairs) - limit} more)" if len(pairs) > limit else "")


@dataclass(frozen=True)
class _OnePerFile:
    """A column that holds one value per submission, and how its problems are named.

    ``mismatch`` is formatted with ``given`` and ``others``, ``mixed`` with ``values`` (value listings).
    """

    column: str
    rule: str  # a row off the submission's value
    mismatch_rule: str  # a value was given, rows hold others
    mismatch: str
    mixed_rule: str  # no value given, rows hold several
    mixed: str


_ADMIN = _OnePerFile(
    column="reporting_admin",
    rule="admin",
    mismatch_rule="admin_mismatch",
    mismatch="administration {given} was given but rows report {others}",
    mixed_rule="mixed_admin",
    mixed="rows report several administrations: {values}; a submission holds one",
)
_QUARTER = _OnePerFile(
    column="detention_date",
    rule="quarter",
    mismatch_rule="quarter_mismatch",
    mismatch="quarter {given} was given but rows fall in {others}",
    mixed_rule="mixed_quarter",
    mixed="rows fall in several quarters: {values}; a submission holds one",
)


def _one_per_file(
    spec: _OnePerFile,
    pairs: list[tuple[_T, int]],
    given: _T | None,
    raw: pa.ChunkedArray,
    off: Callable[[_T], tuple[pa.Array | pa.ChunkedArray, str]],
    collector: Collector,
) -> _T | None:
    """The submission's value of ``spec.column``: ``given``, else the most common one of ``pairs``.

    ``pairs`` are (value, rows) most common first; ``off(target)`` gives the mask of rows that do not hold
    the target and the message reporting each of them. File-level problems: rows hold values other than the
    given one, or several values when none was given.
    """
    if given is not None:
        others = [p for p in pairs if p[0] != given]
        if others:
            collector.file(
                spec.mismatch_rule,
                spec.mismatch.format(given=given, others=_listing(others)),
                column=spec.column,
            )
        target: _T | None = given
    else:
        if len(pairs) > 1:
            collector.file(spec.mixed_rule, spec.mixed.format(values=_listing(pairs)), column=spec.column)
        target = pairs[0][0] if pairs else None
    if target is not None:
        mask, message = off(target)
        collector.rows(spec.rule, mask, spec.column, raw, message)
    return target


def _check_admin(
    table: pa.Table, raw: pa.ChunkedArray, admin: str | None, collector: Collector
) -> str | None:
    """The submission's administration; reports rows of other ones."""
    admins = table.column("reporting_admin")

    def off(target: str) -> tuple[pa.Array | pa.ChunkedArray, str]:
        other = pc.and_(pc.is_valid(admins), pc.not_equal(admins, target))
        return other, f"differs from the submission's administration {target}"

    return _one_per_file(_ADMIN, _counts(admins), admin, raw, off, collector)


def _check_quarter(
    table: pa.Table, raw: pa.ChunkedArray, quarter: Quarter | None, collector: Collector
) -> Quarter | None:
    """The submission's quarter; reports rows dated outside it."""
    dates = table.column("detention_date")
    index = pc.add(pc.multiply(pc.year(dates), 4), pc.divide(pc.subtract(pc.month(dates), 1), 3))
    pairs = [(Quarter(int(v) // 4, int(v) % 4 + 1), c) for v, c in _counts(index)]
    pairs.sort(key=lambda p: (-p[1], str(p[0])))

    def off(target: Quarter) -> tuple[pa.Array | pa.ChunkedArray, str]:
        outside = pc.or_(
            pc.less(dates, pa.scalar(target.start, pa.date32())),
            pc.greater(dates, pa.scalar(target.end, pa.date32())),
        )
        return outside, f"outside the submission's quarter {target} ({target.start} to {target.end})"

    return _one_per_file(_QUARTER, pairs, quarter, raw, off, collector)


def _column_parts(arr: pa.Array) -> list[Any]:
    """A column's content as buffers that depend only on its values (not on chunking, offsets or padding)."""
    if arr.null_count:
        parts: list[Any] = [b"\x00", np.packbits(pc.is_valid(arr).to_numpy(zero_copy_only=False))]
    else:
        parts = [b"\x01"]  # no nulls: no validity bitmap to hash
    if pa.types.is_string(arr.type):
        filled = pc.fill_null(arr, "") if arr.null_count else arr
        offsets = np.frombuffer(filled.buffers()[1], dtype=np.int32, count=filled.offset + len(filled) + 1)
        offsets = offsets[filled.offset :]
        data = filled.buffers()[2]
        parts.append(offsets - offsets[0])
        parts.append(memoryview(data)[int(offsets[0]) : int(offsets[-1])] if data is not None else b"")
    else:
        if pa.types.is_date32(arr.type):
            arr = arr.cast(pa.int32())
        values = pc.fill_null(arr, pa.scalar(0, arr.type)).to_numpy(zero_copy_only=False)
        if values.dtype.kind == "f":
            values = values + 0.0  # -0.0 and 0.0 are the same value
        parts.append(np.ascontiguousarray(values))
    return parts


def _hash_sorted(table: pa.Table, order: pa.Array) -> str:
    digest = hashlib.sha256()
    digest.update(f"seizures/1 rows={table.num_rows}\n".encode())
    for name in SEIZURES:
        # one column at a time: the sorted copy of the whole table is never held at once
        col = table.column(name)
        digest.update(f"{name}:{col.type}\n".encode())
        for part in _column_parts(pc.take(col.combine_chunks(), order)):
            digest.update(part)
    return digest.hexdigest()


def content_hash(table: pa.Table) -> str:
    """sha256 of a canonical seizures table, independent of file format, column order and row order.

    The rows are sorted by (case_id, line_no), unique in a valid submission; each column, in format order,
    contributes its name, type, validity and values.
    """
    table = table.select(list(SEIZURES))
    return _hash_sorted(table, _key_order(table))
