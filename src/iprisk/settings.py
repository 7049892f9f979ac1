"""Settings, read once from the environment (``IPRISK_*``) or a ``.env`` file in the working directory."""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting iprisk reads. Documented in ``docs/settings.md``; a test keeps the two in step."""

    model_config = SettingsConfigDict(env_prefix="IPRISK_", env_file=".env", extra="ignore")

    warehouse: str = Field(
        default="iprisk.duckdb",
        description="Analytical warehouse: a DuckDB file path, or an Ibis connection URL (duckdb://, pyspark://...).",
    )
    user: str = Field(
        default="",
        description="Who submits (recorded in the submission log); defaults to the operating-system user.",
    )
    kcs_data: Path = Field(
        default=Path("../shared/data/kcs-customs-declarations"),
        description="Folder with the public Korea Customs Service declaration files (benchmarks only).",
    )
    lock_timeout_s: float = Field(
        default=10.0,
        description="Seconds to wait for another process to release the warehouse, then fail with 'busy'.",
    )
    database: str = Field(
        default="sqlite:///iprisk-ops.sqlite",
        description="Operational store (profiles, their lifecycle): a SQLAlchemy URL, SQLite or PostgreSQL.",
    )
    max_reported_problems: int = Field(
        default=10_000,
        description="Validation stops collecting problem details past this many (all are still counted).",
    )
    spark_driver_memory: str = Field(
        default="2g",
        description="Memory of the local Spark driver of the analysis engine (Spark syntax: 2g, 512m).",
    )
    statistics_deadline_days: int = Field(
        default=45,
        ge=0,
        description="A quarter's seizure statistics are on time when first submitted within this many days "
        "after the quarter ends (state of play).",
    )
    report_font_family: str = Field(
        default="Noto Sans CJK SC",
        description="Font family of the reports (PDF, HTML, charts): installed, found by fontconfig, "
        "covering Latin and Chinese.",
    )
    bench_lines: int = Field(
        default=10_000_000,
        description="Seizure lines the analysis benchmark draws (benchmarks only; smaller for a quick run).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return Settings()


def acting_user(user: str | None = None) -> str:
    """Who acts, as recorded in the submission log and the profile events: ``user`` when given, else the
    ``user`` setting (``IPRISK_USER``), else the operating-system user."""
    if user:
        return user
    configured = get_settings().user
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name or passwd entry (containers): still record something
        return "unknown"
