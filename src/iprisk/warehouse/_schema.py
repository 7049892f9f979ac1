"""The warehouse tables: their columns, their DuckDB DDL, and the schema version for later migrations.

``seizure_lines`` holds the canonical seizures columns (from :mod:`iprisk.formats`) plus ``quarter`` and
``submission_id``; ``submissions`` is the log of every version ever stored; ``submission_origins`` says which
versions arrived from the peer node, by which message; ``trade`` holds trade statistics; ``iprisk_meta``
records the schema version. The canonical seizures columns are read from the
formats package so the two never drift apart; a column the formats add later is added to an existing
warehouse on open.

Versions: 1, the first layout; 2, ``trade`` gains ``departure_port`` and ``arrival_port`` (lane traffic);
3, ``submission_origins`` (statistics received on the channel between nodes).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from iprisk.errors import WarehouseError
from iprisk.formats.trade import TRADE_SCHEMA

#: Bumped when a change needs a migration step (in :func:`ensure_schema`); stored in ``iprisk_meta``.
SCHEMA_VERSION = 3

SEIZURE_LINES = "seizure_lines"
SUBMISSIONS = "submissions"
ORIGINS = "submission_origins"
TRADE = "trade"
META = "iprisk_meta"

#: Columns the warehouse adds to every seizure line.
LINE_EXTRA_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("quarter", pa.string()),
    ("submission_id", pa.int64()),
)

SUBMISSIONS_SCHEMA = pa.schema(
    [
        ("submission_id", pa.int64()),
        ("reporting_admin", pa.string()),
        ("quarter", pa.string()),
        ("version", pa.int64()),
        ("status", pa.string()),
        ("rows", pa.int64()),
        ("content_hash", pa.string()),
        ("submitted_by", pa.string()),
        ("submitted_at", pa.timestamp("us", tz="UTC")),
        ("superseded_at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
    ]
)


#: One row per statistics message received from the peer node: what it carried, and the version it made
#: here (``submission_id`` empty when it was not applied because a newer version from the peer came first).
ORIGINS_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("origin_node", pa.string()),
        ("reporting_admin", pa.string()),
        ("quarter", pa.string()),
        ("origin_version", pa.int64()),
        ("origin_submitted_at", pa.timestamp("us", tz="UTC")),
        ("content_hash", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("submission_id", pa.int64()),
        ("applied", pa.bool_()),
    ]
)


def seizures_schema() -> pa.Schema:
    """The canonical seizures columns in format order (``iprisk.formats.SEIZURES.arrow_schema``)."""
    from iprisk.formats import SEIZURES

    schema: pa.Schema = SEIZURES.arrow_schema
    return schema


def seizure_lines_schema() -> pa.Schema:
    """Canonical seizures columns followed by ``quarter`` and ``submission_id``."""
    base = seizures_schema()
    return pa.schema([*base, *(pa.field(n, t) for n, t in LINE_EXTRA_COLUMNS)])


_SQL_TYPES: dict[Any, str] = {
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}


def sql_type(dtype: pa.DataType) -> str:
    try:
        return _SQL_TYPES[dtype]
    except KeyError:
        raise WarehouseError(f"no warehouse column type for arrow type {dtype}") from None


def _ddl(name: str, schema: pa.Schema) -> str:
    cols = ", ".join(f'"{f.name}" {sql_type(f.type)}' for f in schema)
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})'


def check_schema(duck: Any, location: str) -> int:
    """The schema version of a warehouse opened read-only; WarehouseError when it would need a migration."""
    try:
        row = duck.execute(f"SELECT value FROM \"{META}\" WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        row = None
    version = int(row[0]) if row else 0
    if version != SCHEMA_VERSION:
        raise WarehouseError(
            f"warehouse {location} has schema version {version}, this iprisk reads {SCHEMA_VERSION}: open it "
            "once with write access (iprisk submit) to upgrade it, or upgrade iprisk"
        )
    return version


def ensure_schema(duck: Any) -> int:
    """Create the tables of a DuckDB warehouse when absent and migrate an older one; returns the version.

    Runs in one transaction, so a warehouse is either fully set up or untouched.
    """
    duck.execute("BEGIN TRANSACTION")
    try:
        duck.execute(f'CREATE TABLE IF NOT EXISTS "{META}" (key VARCHAR PRIMARY KEY, value VARCHAR)')
        row = duck.execute(f"SELECT value FROM \"{META}\" WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise WarehouseError(
                f"warehouse schema version {version} is newer than this iprisk supports ({SCHEMA_VERSION}); "
                "upgrade iprisk"
            )
        duck.execute(_ddl(SEIZURE_LINES, seizure_lines_schema()))
        duck.execute(_ddl(SUBMISSIONS, SUBMISSIONS_SCHEMA))
        duck.execute(_ddl(TRADE, TRADE_SCHEMA))
        duck.execute(_ddl(ORIGINS, ORIGINS_SCHEMA))  # version 3; created with the others when absent
        _add_missing_line_columns(duck)
        # Migration steps, each idempotent (version 0 is a warehouse created just above).
        if version < 2:
            # Version 2: the trade table carries the lane's ports; rows stored before have them empty (NULL).
            _add_missing_columns(duck, TRADE, TRADE_SCHEMA)
        if version != SCHEMA_VERSION:
            duck.execute(
                f"INSERT OR REPLACE INTO \"{META}\" VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
        duck.execute("COMMIT")
    except BaseException:
        duck.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def _add_missing_line_columns(duck: Any) -> None:
    # Optional columns the formats add later appear as NULL in the lines stored before them.
    _add_missing_columns(duck, SEIZURE_LINES, seizure_lines_schema())


def _add_missing_columns(duck: Any, table: str, schema: pa.Schema) -> None:
    """Add to ``table`` the columns of ``schema`` it lacks (at the end, NULL in the rows already stored)."""
    present = {
        r[0]
        for r in duck.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    }
    for field in schema:
        if field.name not in present:
            duck.execute(f'ALTER TABLE "{table}" ADD COLUMN "{field.name}" {sql_type(field.type)}')
