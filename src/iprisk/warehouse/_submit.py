"""Storing one quarterly submission: idempotent, versioned and atomic.

A submission is identified by (reporting administration, quarter). Storing it:

* when the current version has the same content hash: nothing is written, status ``unchanged``;
* when there is no version yet: version 1, status ``stored``;
* otherwise: a new version (highest version + 1) becomes current and the previous current one is marked
  ``superseded`` with ``superseded_at`` equal to the new ``submitted_at``; status ``superseded-previous``.
  This holds even when the content equals an *older*, superseded version (a revert): the revert is a new
  event in the log, so as-of queries between the two still show what was current then.

The log row, the supersede update and the line inserts happen in one DuckDB transaction; any failure rolls
back all three. The step functions are module-level so that tests can inject a failure between them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pyarrow as pa

from iprisk.errors import InvalidSubmission, InvalidValue, Problem
from iprisk.periods import Quarter
from iprisk.settings import acting_user
from iprisk.warehouse._schema import SEIZURE_LINES, SUBMISSIONS, seizures_schema

STORED = "stored"
UNCHANGED = "unchanged"
SUPERSEDED_PREVIOUS = "superseded-previous"


class BatchLike(Protocol):
    """What :func:`iprisk.formats.read_seizures` returns (``SeizureBatch``)."""

    table: pa.Table
    admin: str
    quarter: Quarter
    content_hash: str
    source: str


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The outcome of :meth:`Warehouse.submit`.

    ``submission_id`` and ``version`` are those of the version now current (the existing one when
    ``unchanged``); ``superseded_id`` names the version this one replaced, if any.
    """

    status: str
    submission_id: int
    version: int
    rows: int
    content_hash: str
    admin: str
    quarter: str
    source: str
    submitted_at: datetime
    superseded_id: int | None = None


def canonical_lines(batch: BatchLike) -> pa.Table:
    """The batch's table with exactly the canonical columns, in order and type; missing ones are a problem."""
    schema = seizures_schema()
    table = batch.table
    if not isinstance(table, pa.Table):  # a pandas DataFrame built by hand
        table = pa.Table.from_pandas(table, preserve_index=False)
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise InvalidSubmission(
            [Problem("required_column", "column missing", column=c, file=batch.source) for c in missing],
            source=batch.source,
        )
    return table.select(schema.names).cast(schema)


def check_batch_matches(batch: BatchLike, admin: str | None, quarter: str | Quarter | None) -> None:
    """When a caller passes an already-read batch with admin / quarter, they must agree with the batch."""
    problems = []
    if admin is not None and admin != batch.admin:
        problems.append(
            Problem(
                "admin_mismatch", f"batch is for {batch.admin}, not {admin}", value=admin, file=batch.source
            )
        )
    if quarter is not None and Quarter.parse(str(quarter)) != batch.quarter:
        problems.append(
            Problem(
                "quarter_mismatch",
                f"batch is for {batch.quarter}, not {quarter}",
                value=str(quarter),
                file=batch.source,
            )
        )
    if problems:
        raise InvalidSubmission(problems, source=batch.source)


def _now() -> datetime:
    return datetime.now(UTC)


def insert_log_row(duck: Any, row: dict[str, Any]) -> None:
    cols = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    duck.execute(f'INSERT INTO "{SUBMISSIONS}" ({cols}) VALUES ({marks})', list(row.values()))


def supersede(duck: Any, submission_id: int, at: datetime) -> None:
    duck.execute(
        f"UPDATE \"{SUBMISSIONS}\" SET status = 'superseded', superseded_at = ? WHERE submission_id = ?",
        [at, submission_id],
    )


def insert_lines(duck: Any, lines: pa.Table, quarter: str, submission_id: int) -> None:
    # DuckDB scans the registered Arrow table directly: no row-by-row conversion.
    name = f"_iprisk_batch_{submission_id}"
    duck.register(name, lines)
    # The lines are stored in whatever order DuckDB's threads write them: a third less time for a million
    # lines (measured with benchmarks/bench_submit.py). Nothing reads stored lines in insertion order (the
    # export sorts by key, the content hash is of the sorted batch); the connection's setting is restored.
    (keep,) = duck.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    duck.execute("SET preserve_insertion_order = false")
    try:
        cols = ", ".join(f'"{c}"' for c in lines.column_names)
        duck.execute(
            f'INSERT INTO "{SEIZURE_LINES}" ({cols}, "quarter", "submission_id") '
            f"SELECT {cols}, ?, ? FROM {name}",
            [quarter, submission_id],
        )
    finally:
        duck.execute(f"SET preserve_insertion_order = {'true' if keep else 'false'}")
        duck.unregister(name)


def rollback(duck: Any) -> None:
    """Roll back the open transaction, never masking the error that caused it."""
    # The transaction may already be gone (a failed COMMIT); nothing was written then.
    with contextlib.suppress(Exception):
        duck.execute("ROLLBACK")


def store_batch(
    duck: Any, batch: BatchLike, *, user: str | None = None, received_at: datetime | None = None
) -> SubmitResult:
    """Store ``batch`` in one transaction on the DuckDB connection ``duck`` (see the module docstring)."""
    duck.execute("BEGIN TRANSACTION")
    try:
        result = store_in_transaction(duck, batch, user=user, received_at=received_at)
        duck.execute("COMMIT")
    except BaseException:
        rollback(duck)
        raise
    return result


def store_in_transaction(
    duck: Any, batch: BatchLike, *, user: str | None = None, received_at: datetime | None = None
) -> SubmitResult:
    """The body of :func:`store_batch`, inside a transaction the caller opened and commits. ``received_at``
    (time-zone aware) is the time logged as ``submitted_at``; now when not given."""
    if received_at is not None and received_at.utcoffset() is None:
        raise InvalidValue(f"received_at {received_at.isoformat()} has no time zone")
    lines = canonical_lines(batch)
    admin, quarter, digest = batch.admin, str(Quarter.parse(str(batch.quarter))), batch.content_hash
    who = acting_user(user)
    current = duck.execute(
        f'SELECT submission_id, version, content_hash, submitted_at, "rows" FROM "{SUBMISSIONS}" '
        "WHERE reporting_admin = ? AND quarter = ? AND status = 'current'",
        [admin, quarter],
    ).fetchone()
    if current is not None and current[2] == digest:
        return SubmitResult(
            UNCHANGED,
            current[0],
            current[1],
            current[4],
            digest,
            admin,
            quarter,
            batch.source,
            current[3].astimezone(UTC),
        )
    last_version, last_id = duck.execute(
        f'SELECT (SELECT max(version) FROM "{SUBMISSIONS}" WHERE reporting_admin = ? AND quarter = ?), '
        f'(SELECT max(submission_id) FROM "{SUBMISSIONS}")',
        [admin, quarter],
    ).fetchone()
    submission_id = (last_id or 0) + 1
    version = (last_version or 0) + 1
    submitted_at = received_at.astimezone(UTC) if received_at is not None else _now()
    if current is not None and submitted_at <= current[3]:
        # A clock that went back must not make two versions current at the same instant.
        submitted_at = current[3] + timedelta(microseconds=1)
    insert_log_row(
        duck,
        {
            "submission_id": submission_id,
            "reporting_admin": admin,
            "quarter": quarter,
            "version": version,
            "status": "current",
            "rows": lines.num_rows,
            "content_hash": digest,
            "submitted_by": who,
            "submitted_at": submitted_at,
            "superseded_at": None,
            "source": batch.source,
        },
    )
    if current is not None:
        supersede(duck, current[0], submitted_at)
    insert_lines(duck, lines, quarter, submission_id)
    return SubmitResult(
        SUPERSEDED_PREVIOUS if current is not None else STORED,
        submission_id,
        version,
        lines.num_rows,
        digest,
        admin,
        quarter,
        batch.source,
        submitted_at,
        current[0] if current is not None else None,
    )
