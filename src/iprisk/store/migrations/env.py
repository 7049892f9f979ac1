"""Alembic environment for the operational store; run programmatically by :func:`iprisk.store.db.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from iprisk.store.db import Base

config = context.config
target_metadata = Base.metadata


def _run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    engine = config.attributes.get("engine") or create_engine(str(config.get_main_option("sqlalchemy.url")))
    with engine.begin() as connection:
        # render_as_batch: SQLite alters tables by copying them; PostgreSQL ignores it.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
