"""The operational database: SQLAlchemy 2 typed models and the Alembic migrations shipped in the package.

Only portable column types (strings, integers, ``JSON``, timezone-aware ``DateTime``) so that the same schema
runs on SQLite (default, one file) and PostgreSQL (production). The schema is created and upgraded by the
migrations in ``iprisk/store/migrations``, never by ``create_all``, so that a deployed database can follow.

Several processes may share one database (uvicorn workers, the CLI beside a running node). On PostgreSQL
writers lock the rows they change (``SELECT ... FOR UPDATE``, ``SKIP LOCKED`` for work queues). On SQLite
every transaction starts with ``BEGIN IMMEDIATE`` and waits up to 30 s for the write lock: transactions run
one after the other instead of failing with "database is locked" when a reader turns writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

MIGRATIONS = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    """Declarative base of every operational table."""


class ProfileRow(Base):
    """One version of a risk profile; ``content`` is the profile as JSON (without version and status)."""

    __tablename__ = "profiles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProfileEventRow(Base):
    """One lifecycle step of a profile version (creation, transitions, approvals, revisions)."""

    __tablename__ = "profile_events"
    __table_args__ = (
        ForeignKeyConstraint(["profile_id", "version"], ["profiles.id", "profiles.version"]),
        Index("ix_profile_events_profile", "profile_id", "version"),
    )

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    admin: Mapped[str | None] = mapped_column(String(8), nullable=True)
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class ReportRunRow(Base):
    """One analysis run (``iprisk analyse``) or report built (a joint report, a newsletter, a state of play):
    what, for which period, in which languages and formats, from which data snapshot and code version, by
    whom and when. The state of play counts them as the analyses run."""

    __tablename__ = "report_runs"

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    period: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8))
    formats: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


def utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes for what was stored as UTC: make them aware again."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config built in code: the package's script location, bound to ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (default: the newest) with the shipped migrations."""
    command.upgrade(alembic_config(engine), revision)


#: How long a SQLite transaction waits for another process's write lock before failing (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _serialise_sqlite(engine: Engine) -> None:
    """SQLite: take the write lock at BEGIN (``BEGIN IMMEDIATE``) and wait for it, instead of pysqlite's
    deferred transactions, which fail at once when two of them read and then both want to write."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver stops opening transactions by itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # Write-ahead log: readers do not wait for the writer, and a commit costs one fsync, not several.
        cursor.execute("PRAGMA journal_mode = WAL")
        # LIKE matches case as PostgreSQL's does, and so a prefix (``key LIKE 'kind/%'``) is a range of the
        # index: case-blind, it scanned the whole outbox, which grows with every message
        cursor.execute("PRAGMA case_sensitive_like = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def connect(url: str, *, migrate: bool = True) -> Engine:
    """An engine on ``url`` (a SQLAlchemy URL, or a bare path taken as a SQLite file), upgraded by default."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        _serialise_sqlite(engine)
    if migrate:
        upgrade(engine)
    return engine


@contextmanager
def unit_of_work(engine: Engine, session: Session | None) -> Iterator[Session]:
    """The caller's unit of work when given (the caller commits it), else a new one, committed here."""
    if session is not None:
        yield session
        return
    with Session(engine) as fresh, fresh.begin():
        yield fresh


@contextmanager
def reading(engine: Engine, session: Session | None) -> Iterator[Session]:
    """The caller's session when given, else a new one to read with."""
    if session is not None:
        yield session
        return
    with Session(engine) as fresh:
        yield fresh
