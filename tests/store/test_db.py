"""The operational database: the shipped migrations build the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from iprisk.store import alembic_config, connect, upgrade


def test_migrations_create_the_tables_and_are_idempotent(tmp_path: Path) -> None:
    engine = connect(str(tmp_path / "bare.sqlite"))  # a bare path means a SQLite file
    upgrade(engine)  # again: nothing to do
    tables = set(inspect(engine).get_table_names())
    assert {"profiles", "profile_events", "report_runs", "alembic_version"} <= tables
    assert {"allocation_plans", "allocation_plan_strata", "operations"} <= tables
    assert {"referrals", "referral_events", "referral_ports"} <= tables
    assert {"channel_outgoing", "channel_incoming"} <= tables
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head == "0008_login_throttle"
    with engine.connect() as con:
        assert con.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    engine.dispose()


def test_migrations_match_the_models(store_database_url: str) -> None:
    """The shipped migrations build exactly the schema the typed models describe (no drift), on both."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from iprisk.store import Base

    engine = connect(store_database_url)
    with engine.connect() as con:
        diff = compare_metadata(MigrationContext.configure(con), Base.metadata)
    engine.dispose()
    assert diff == []
