"""Settings, read once from the environment (``IPRISK_*``) or a ``.env`` file in the working directory."""

from __future__ import annotations

import getpass
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Peer(BaseModel):
    """Another node this node exchanges with: where it answers and the fingerprint its operator gave."""

    url: str
    fingerprint: str


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
    merkle_vectors: Path = Field(
        default=Path("../shared/data/merkle-proof-vectors"),
        description="Folder with the public RFC 6962/9162 Merkle proof test vectors (tests only).",
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
    # Limits on inputs (docs/security.md): a file past one is refused with an error naming the limit and
    # the setting, before it can take minutes or gigabytes.
    max_input_mb: float = Field(
        default=2048, gt=0, description="Largest input file read (data, mapping, profiles, scenario), in MB."
    )
    max_rows: int = Field(
        default=20_000_000, gt=0, description="Most data rows in one input file (blank XLSX rows count)."
    )
    max_columns: int = Field(default=1_000, gt=0, description="Most columns in one input file.")
    max_cell_chars: int = Field(
        default=32_767, gt=0, description="Longest text in one cell, in characters (Excel's own limit)."
    )
    max_line_bytes: int = Field(
        default=16 * 1024 * 1024, gt=0, description="Longest CSV line (record), in bytes."
    )
    max_decompressed_mb: float = Field(
        default=4096, gt=0, description="Largest total uncompressed size of an XLSX workbook, in MB."
    )
    max_compression_ratio: float = Field(
        default=200, gt=1, description="Highest uncompressed / compressed size ratio of an XLSX workbook."
    )
    max_yaml_aliases: int = Field(
        default=100, ge=0, description="Most YAML aliases (*name) in one mapping, profiles or scenario file."
    )
    max_document_nodes: int = Field(
        default=1_000_000,
        gt=0,
        description="Most values in one YAML or JSON document once aliases are expanded.",
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
    # -- the node (iprisk serve, docs/service.md and docs/operations.md) ---------------------------------
    node: Literal["EU", "CN"] | None = Field(
        default=None,
        description="This node's administration, EU or CN; required by iprisk serve and iprisk node.",
    )
    key_folder: Path = Field(
        default=Path("iprisk-keys"),
        description="Folder of the node's private keys (channel identity and audit log keys), mode 0700.",
    )
    key_passphrase: SecretStr | None = Field(
        default=None, description="Passphrase that encrypts the private keys in the key folder (optional)."
    )
    token: SecretStr | None = Field(
        default=None,
        description="API token of the node account the command line acts as (iprisk referrals ...).",
    )
    peers: dict[str, Peer] = Field(
        default_factory=dict,
        description='The other nodes, as JSON: {"CN": {"url": "https://...", "fingerprint": "..."}}.',
    )
    analysis_folder: Path = Field(
        default=Path("iprisk-analysis"),
        description="Folder of the latest iprisk analyse --out results, which the node serves at /analysis.",
    )
    targeting_model: Path | None = Field(
        default=None,
        description="Folder of a trained targeting model (iprisk targeting fit --model), which the "
        "dashboard's targeting page scores declarations with; none: the node scores nothing.",
    )
    dashboard_prerender: bool = Field(
        default=True,
        description="Whether the node draws the dashboard's charts of a new analysis in the background "
        "(at start and when the analysis folder changes), so that pages only read them.",
    )
    targeting_keep_days: float = Field(
        default=30.0,
        gt=0,
        description="Days the dashboard keeps a scored declarations list (<analysis_folder>/targeting/) "
        "after it was last scored.",
    )
    host: str = Field(default="127.0.0.1", description="Address iprisk serve binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port iprisk serve listens on.")
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes of iprisk serve.")
    shutdown_timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds iprisk serve lets requests in flight finish on shutdown."
    )
    token_days: float = Field(default=90.0, gt=0, description="Default lifetime of a new API token, in days.")
    idempotency_hours: float = Field(
        default=24.0, gt=0, description="How long the response to an Idempotency-Key is kept for replays."
    )
    idempotency_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description="A request still in progress this many seconds later is taken as crashed (key freed).",
    )
    audit_checkpoint_every: int = Field(
        default=100, ge=1, description="The node signs an audit checkpoint every this many entries."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Level of the service's JSON logs."
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed logins on one account, or from one client address, before further attempts are "
        "refused (429) until the window passes.",
    )
    login_window_seconds: float = Field(
        default=900.0,
        gt=0,
        description="The sliding window over which failed logins are counted, in seconds.",
    )
    referral_ack_working_days: int = Field(
        default=1, ge=1, le=30, description="Working days a receiving port has to acknowledge a referral."
    )
    referral_feedback_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days after the expected arrival a receiving port has to give feedback on a referral.",
    )
    referral_feedback_days_by_basis: dict[str, int] = Field(
        default_factory=dict,
        description="Feedback deadline per legal basis code, in days, overriding referral_feedback_days.",
    )
    referral_attachment_max_bytes: int = Field(
        default=10_000_000, ge=1, description="Largest attachment of a referral, in bytes."
    )
    bench_lines: int = Field(
        default=10_000_000,
        description="Seizure lines the analysis benchmark draws (benchmarks only; smaller for a quick run).",
    )
    bench_referrals: int = Field(
        default=100_000, ge=100, description="Simulated referrals the referrals benchmark runs (benchmarks)."
    )
    bench_referrals_between_nodes: int = Field(
        default=100_000,
        ge=1,
        description="Referrals the referrals benchmark takes through their whole lifecycle between two "
        "nodes (benchmarks only; hours at 100,000).",
    )
    bench_referrals_plain: int = Field(
        default=10_000,
        ge=1,
        description="Referrals' worth of plain channel messages (4 each) the two-node referrals benchmark "
        "measures as its baseline in the same run (benchmarks only).",
    )
    bench_allocation_seeds: int = Field(
        default=5,
        ge=2,
        description="Simulated worlds the allocation benchmark proves the gain on (benchmarks only).",
    )
    bench_allocation_draws: int = Field(
        default=60,
        ge=1,
        description="Draws of the logged controls for the allocation benchmark's off-policy coverage "
        "(benchmarks only).",
    )
    # -- the channel between nodes (docs/channel.md, docs/operations.md) ---------------------------------
    message_ttl_days: float = Field(
        default=14.0, gt=0, description="How long a message may take to reach the peer before it expires."
    )
    delivery_batch: int = Field(
        default=64, ge=1, le=1000, description="Messages sent to the peer in one HTTP request."
    )
    delivery_in_flight: int = Field(
        default=2,
        ge=1,
        le=8,
        description="Batches at the peer at once: it applies one while the receipts of another are recorded.",
    )
    delivery_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="How often the delivery worker looks for new work when idle (submissions, checkpoints).",
    )
    peer_timeout_s: float = Field(
        default=60.0, gt=0, description="Seconds a request to the peer node may take before it is retried."
    )
    retry_first_s: float = Field(
        default=2.0,
        gt=0,
        description="Longest wait before the first retry of a message the peer did not take (full jitter).",
    )
    retry_cap_s: float = Field(
        default=600.0, gt=0, description="Longest wait between two retries (the backoff doubles up to it)."
    )
    key_overlap_days: float = Field(
        default=7.0,
        ge=0,
        description="After a key rotation, days the previous key still verifies messages already in flight.",
    )
    checkpoint_interval_s: float = Field(
        default=300.0,
        gt=0,
        description="How often the node sends its audit checkpoint to the peer to cosign.",
    )
    tls_certfile: Path | None = Field(
        default=None,
        description="TLS certificate (PEM) iprisk serve presents; with tls_keyfile, serves HTTPS.",
    )
    tls_keyfile: Path | None = Field(default=None, description="Private key (PEM) of tls_certfile.")
    tls_ca: Path | None = Field(
        default=None,
        description="CA certificates (PEM) the node trusts for its peers' HTTPS; default the system's.",
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


def origin(name: str) -> str:
    """Where setting ``name`` comes from: ``"environment"``, ``".env file PATH"`` or ``"default"``.

    The command line shows a location (warehouse, database) that a ``.env`` file in the working directory
    set, so that such a file cannot silently redirect where data goes.
    """
    from dotenv import dotenv_values

    env = f"IPRISK_{name.upper()}"
    if any(key.upper() == env for key in os.environ):
        return "environment"
    dotenv = Path(".env")
    if dotenv.is_file() and any((key or "").upper() == env for key in dotenv_values(dotenv)):
        return f".env file {dotenv.resolve()}"
    return "default"
