"""Quarterly seizure statistics between the nodes: every version of this side's submissions goes to the peer,
which validates it with the same rules and stores it with its provenance.

**Sender.** The warehouse (DuckDB) and the operational database are two databases: a submission cannot be
stored and queued in one transaction. The warehouse's submission log is therefore the source of truth and
:func:`sync_statistics` fills the outbox *from* it, idempotently: each version of each submission of this
node's side (an EU member's at the EU node, China's at the CN node) becomes one message per peer, keyed by
``stats/<peer>/<admin>/<quarter>/v<version>/<content hash>``. A crash after the warehouse commit and before
the outbox insert loses nothing: the next sync (the delivery worker runs it every few seconds; ``iprisk
exchange deliver`` runs it once) finds the version without its message and queues it; a sync run twice, or
by two workers at once, queues it once (the key is unique in the outbox).

**Payload.** The version's lines in the canonical seizures columns, as Parquet (zstd), with the submission's
metadata in the file's key-value metadata (``iprisk.admin``, ``iprisk.quarter``, ``iprisk.version``,
``iprisk.content_hash``, ``iprisk.submitted_at``).

**Receiver.** The statistics must be of the sender's side. The file is read and validated by
:func:`iprisk.formats.read_seizures` — the rules of ``iprisk submit`` — and its content hash must be the one
announced; then :meth:`iprisk.warehouse.Warehouse.receive` stores it with its origin (sender, message id,
sender's version; the receipt is the inbox's, by message id), idempotently by message id: a crash between
the warehouse commit and the inbox commit only makes the retry find it stored. Invalid content is refused
for good (a signed "refused" receipt naming the problems); a busy warehouse is retried.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.parquet as pq

from iprisk.errors import InvalidInput, Problem, WarehouseBusy
from iprisk.exchange import Opened
from iprisk.link.errors import NotYet
from iprisk.link.kinds import Kind, register, register_source
from iprisk.periods import Quarter
from iprisk.profiles.model import admin_side

if TYPE_CHECKING:
    from iprisk.link.context import Link
    from iprisk.warehouse import Warehouse

STATS_KIND = "stats"
PARQUET = "application/vnd.apache.parquet"
_META = ("admin", "quarter", "version", "content_hash", "submitted_at")


def side_of(admin: str, quarter: str) -> str:
    """The node an administration's statistics belong to (``EU`` for a member state then, else the code)."""
    return admin_side(admin, Quarter.parse(quarter).start)


def message_key(peer: str, admin: str, quarter: str, version: int, content_hash: str) -> str:
    return f"{STATS_KIND}/{peer}/{admin}/{quarter}/v{version}/{content_hash[:16]}"


def encode_version(lines: pa.Table, meta: dict[str, Any]) -> bytes:
    """One version as the message payload: Parquet with the submission's metadata."""
    schema = lines.schema.with_metadata({f"iprisk.{k}".encode(): str(meta[k]).encode() for k in _META})
    buffer = io.BytesIO()
    pq.write_table(lines.replace_schema_metadata(schema.metadata), buffer, compression="zstd")
    return buffer.getvalue()


def version_meta(payload: bytes, source: str) -> dict[str, str]:
    """The submission's metadata in a payload of :func:`encode_version` (read from the Parquet footer: the
    lines themselves are read once, by the rules of ``iprisk submit``)."""
    try:
        schema = pq.read_schema(io.BytesIO(payload))
    except (pa.ArrowInvalid, OSError) as exc:
        problem = Problem("unreadable", f"not a Parquet file: {exc}", file=source)
        raise InvalidInput([problem], source=source) from None
    raw = schema.metadata or {}
    meta = {k: raw.get(f"iprisk.{k}".encode(), b"").decode() for k in _META}
    missing = [k for k, v in meta.items() if not v]
    if missing:
        problems = [
            Problem("metadata", "missing from the statistics message", column=f"iprisk.{k}") for k in missing
        ]
        raise InvalidInput(problems, source=source)
    return meta


def sync_statistics(link: Link, wh: Warehouse | None = None) -> list[str]:
    """Queue, for every peer, each version of this side's submissions not queued yet; the keys queued."""
    from iprisk.warehouse import Warehouse

    peers = sorted(link.rings())
    if not peers:
        return []
    own = wh if wh is not None else Warehouse.open(link.warehouse)
    try:
        frame = own.submissions().sort_values("submitted_at")
        log = cast(list[dict[str, Any]], frame.to_dict(orient="records"))
        queued = _queued_keys(link)
        todo: list[tuple[str, str, dict[str, Any]]] = []
        for row in log:
            admin, quarter, version = str(row["reporting_admin"]), str(row["quarter"]), int(row["version"])
            if side_of(admin, quarter) != link.name:
                continue
            for peer in peers:
                key = message_key(peer, admin, quarter, version, str(row["content_hash"]))
                if key not in queued:
                    todo.append((key, peer, row))
        payloads: dict[int, bytes] = {}
        for _key, _peer, row in todo:
            submission = int(row["submission_id"])
            if submission not in payloads:
                meta = {
                    "admin": row["reporting_admin"],
                    "quarter": row["quarter"],
                    "version": int(row["version"]),
                    "content_hash": row["content_hash"],
                    "submitted_at": row["submitted_at"].isoformat(),
                }
                payloads[submission] = encode_version(own.version_lines(submission), meta)
    finally:
        if wh is None:
            own.close()
    done = []
    for key, peer, row in todo:
        with link.store.transaction() as tx:
            link.send(tx, STATS_KIND, peer, payloads[int(row["submission_id"])], key=key)
        done.append(key)
    return done


def _queued_keys(link: Link) -> set[str]:
    from sqlalchemy import select

    from iprisk.store.channel import OutgoingRow

    with link.node.engine.connect() as connection:
        rows = connection.execute(select(OutgoingRow.key).where(OutgoingRow.key.like(f"{STATS_KIND}/%")))
        return {key for (key,) in rows if key is not None}


def _receive(link: Link, tx: Any, opened: Opened) -> None:
    from iprisk.formats import read_seizures
    from iprisk.warehouse import Origin, Warehouse, parse_timestamp

    message = opened.message
    source = f"{message.sender} message {message.id}"
    meta = version_meta(message.payload, source)
    if side_of(meta["admin"], meta["quarter"]) != message.sender:
        problem = Problem(
            "sender", f"{message.sender} cannot send the statistics of {meta['admin']}", value=meta["admin"]
        )
        raise InvalidInput([problem], source=source)
    with tempfile.TemporaryDirectory(prefix="iprisk-stats-") as folder:
        path = Path(folder) / "statistics.parquet"
        path.write_bytes(message.payload)  # the payload is the Parquet file: read by the rules, as it came
        batch = read_seizures(path, admin=meta["admin"], quarter=meta["quarter"])
    if batch.content_hash != meta["content_hash"]:
        problem = Problem(
            "content_hash", "the lines do not have the content hash announced", value=batch.content_hash
        )
        raise InvalidInput([problem], source=source)
    batch = replace(batch, source=source)
    origin = Origin(message.sender, message.id, int(meta["version"]), parse_timestamp(meta["submitted_at"]))
    try:
        with Warehouse.open(link.warehouse) as wh:
            result = wh.receive(batch, origin)
    except WarehouseBusy as exc:
        raise NotYet(str(exc)) from None
    details = {
        "version": int(meta["version"]),
        "status": result.status,
        "rows": batch.rows,
        "hash": batch.content_hash,
    }
    link.observe(tx, "statistics.received", f"{meta['admin']} {meta['quarter']}", details)


register(
    Kind(
        STATS_KIND,
        "One version of a quarterly seizure-statistics submission, as Parquet with its metadata.",
        _receive,
        content_type=PARQUET,
    )
)
register_source(STATS_KIND, sync_statistics)
