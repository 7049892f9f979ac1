"""Alembic environment for the operational store; run programmatically by :func:`iprisk.store.db.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from iprisk.store.db import Base

config = context.config
#: Arbitrary constant naming the advisory lock that serialises migrations on PostgreSQL.
_MIGRATION_LOCK = 0x1F5C_0DB
target_metadata = Base.metadata


def _run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    engine = config.attributes.get("engine") or create_engine(str(config.get_main_option("sqlalchemy.url")))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several processes (uvicorn workers) may start at once: one migrates, the others wait and then
            # find the schema at head. (On SQLite, BEGIN IMMEDIATE already serialises them.)
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        # render_as_batch: SQLite alters tables by copying them; PostgreSQL ignores it.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
