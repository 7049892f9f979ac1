"""``iprisk node backup`` / ``restore``: the operational database and the key folder in one archive.

The database is copied table by table through SQLAlchemy, in one read transaction (a consistent snapshot:
``REPEATABLE READ`` on PostgreSQL; on SQLite the transaction holds the write lock), so the same code backs up
SQLite and PostgreSQL and a backup of one restores into the other. Archive (``.tar.gz``, mode 0600)::

    manifest.json              node, schema revision, rows per table, SHA-256 of every file
    database/<table>.jsonl     one JSON object per row (bytes in base64, times in ISO 8601)
    keys/...                   the key folder as it is (private keys stay encrypted if they were)

Restoring checks every file's hash, refuses another node's backup, a schema the code does not know, and a
database or key folder that already holds something (unless forced), migrates an empty database to the
backup's revision, loads the rows in one transaction, upgrades it to the newest schema, and records the
restore in the audit log. :data:`RESTORE_HOOKS` run after the rows are in (the channel resumes its messages
in flight there).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, DateTime, Engine, LargeBinary, MetaData, Table, func, select, text
from sqlalchemy.orm import Session

from iprisk.errors import AlreadyExists, InvalidValue
from iprisk.node.context import Node, node_name
from iprisk.settings import Settings, get_settings
from iprisk.store import alembic_config, connect, upgrade

FORMAT = 1
_DB = "database"
_KEYS = "keys"


@dataclass(frozen=True)
class Manifest:
    node: str
    revision: str
    created: str
    tables: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT


#: Called as ``hook(engine, manifest)`` once a restore's rows are in, before the node is reopened.
RESTORE_HOOKS: list[Callable[[Engine, Manifest], None]] = []


def _revision(connection: Connection) -> str:
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        raise InvalidValue("the database has no schema revision: run iprisk node init")
    return current


def _tables(connection: Connection) -> list[Table]:
    """The application's tables as the database has them, parents before children (Alembic's own left out)."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [t for t in metadata.sorted_tables if t.name != "alembic_version"]


def _encode(table: Table, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        value = row._mapping[column.name]
        if value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64encode(bytes(value)).decode("ascii")
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[column.name] = value
    return out


def _decode(table: Table, record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        value = record.get(column.name)
        if value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64decode(value)
        elif value is not None and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, JSON) and isinstance(value, str):
            value = json.loads(value)  # a JSON column some dialect reflected as text
        out[column.name] = value
    return out


def backup_node(node: Node, archive: Path) -> Manifest:
    """Write the node's database and key folder to ``archive`` (which must not exist)."""
    archive = Path(archive)
    if archive.exists():
        raise AlreadyExists("backup archive", str(archive))
    with tempfile.TemporaryDirectory(prefix="iprisk-backup-") as staging:
        root = Path(staging)
        (root / _DB).mkdir()
        counts: dict[str, int] = {}
        options = {"isolation_level": "REPEATABLE READ"} if node.engine.dialect.name == "postgresql" else {}
        with node.engine.connect().execution_options(**options) as connection, connection.begin():
            revision = _revision(connection)
            for table in _tables(connection):
                with (root / _DB / f"{table.name}.jsonl").open("w", encoding="utf-8") as out:
                    counts[table.name] = 0
                    for row in connection.execution_options(yield_per=1000).execute(select(table)):
                        out.write(json.dumps(_encode(table, row), ensure_ascii=False) + "\n")
                        counts[table.name] += 1
        files = [*sorted((root / _DB).iterdir())]
        manifest = Manifest(node.name, revision, datetime.now(UTC).isoformat(), counts)
        hashes = {f"{_DB}/{p.name}": _sha256(p) for p in files}
        hashes.update({f"{_KEYS}/{rel}": _sha256(node.settings.key_folder / rel) for rel in _key_files(node)})
        manifest = Manifest(**{**asdict(manifest), "files": hashes})
        _write_archive(archive, root, node.settings.key_folder, manifest)
    return manifest


def _key_files(node: Node) -> Iterator[str]:
    folder = node.settings.key_folder
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield str(path.relative_to(folder))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_archive(archive: Path, root: Path, keys: Path, manifest: Manifest) -> None:
    partial = archive.with_name(f".{archive.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        data = json.dumps(asdict(manifest), indent=2).encode("utf-8")
        info = tarfile.TarInfo("manifest.json")
        info.size, info.mode = len(data), 0o600
        tar.addfile(info, io.BytesIO(data))
        tar.add(root / _DB, arcname=_DB)
        tar.add(keys, arcname=_KEYS)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, archive)  # a crash leaves no half-written archive under the final name


def restore_node(archive: Path, settings: Settings | None = None, *, force: bool = False) -> Manifest:
    """Restore the database and key folder of ``archive`` into the settings' database and key folder."""
    settings = settings or get_settings()
    name = node_name(settings)
    with tempfile.TemporaryDirectory(prefix="iprisk-restore-") as staging:
        root = Path(staging)
        manifest = _unpack(Path(archive), root)
        if manifest.node != name:
            raise InvalidValue(f"{archive} is a backup of node {manifest.node}, this node is {name}")
        _restore_keys(root / _KEYS, settings.key_folder, force=force)
        engine = connect(settings.database, migrate=False)
        try:
            _restore_database(engine, root / _DB, manifest, force=force)
            for hook in RESTORE_HOOKS:
                hook(engine, manifest)
        finally:
            engine.dispose()
    with Node.open(settings) as node, Session(node.engine) as session, session.begin():
        details = {
            "created": manifest.created,
            "revision": manifest.revision,
            "rows": sum(manifest.tables.values()),
        }
        node.audit.record(session, "node.restored", "operator", Path(archive).name, details)
    return manifest


def _unpack(archive: Path, root: Path) -> Manifest:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(root, filter="data")  # no absolute paths, no '..', no links out, no devices
    try:
        raw = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidValue(f"{archive}: not an iprisk node backup ({exc})") from None
    if manifest.format != FORMAT:
        raise InvalidValue(f"{archive}: backup format {manifest.format}, this version reads {FORMAT}")
    for rel, expected in manifest.files.items():
        path = root / rel
        if not path.is_file() or _sha256(path) != expected:
            raise InvalidValue(f"{archive}: {rel} is missing or altered (its SHA-256 does not match)")
    return manifest


def _restore_keys(source: Path, target: Path, *, force: bool) -> None:
    import shutil

    if (target / "identity.json").exists():
        same = (source / "identity.json").read_bytes() == (target / "identity.json").read_bytes()
        if not same and not force:
            raise AlreadyExists("node keys (other ones)", f"{target}: use --force to replace them")
        if same:
            return
        shutil.rmtree(target)
    shutil.copytree(source, target)
    target.chmod(0o700)


def _restore_database(engine: Engine, folder: Path, manifest: Manifest, *, force: bool) -> None:
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}
    if manifest.revision not in known:
        raise InvalidValue(f"the backup's schema {manifest.revision} is unknown to this version of iprisk")
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        upgrade(engine, manifest.revision)
    elif not force:
        raise AlreadyExists("a database with a schema", f"{engine.url.render_as_string()}: use --force")
    else:
        upgrade(engine)
    with engine.begin() as connection:
        tables = {t.name: t for t in _tables(connection)}
        # Also on a new database: the migrations seed some rows (the audit log's head), the backup has them.
        for table in reversed(list(tables.values())):
            connection.execute(table.delete())
        for table_name in manifest.tables:
            table = tables[table_name]
            batch: list[dict[str, Any]] = []
            with (folder / f"{table_name}.jsonl").open(encoding="utf-8") as rows:
                for line in rows:
                    batch.append(_decode(table, json.loads(line)))
                    if len(batch) == 1000:
                        connection.execute(table.insert(), batch)
                        batch = []
            if batch:
                connection.execute(table.insert(), batch)
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, list(tables.values()))
    upgrade(engine)


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: serial columns continue after the restored ids."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence:
                top = connection.execute(select(func.max(column))).scalar()
                connection.execute(
                    text("SELECT setval(:s, :v, :called)"),
                    {"s": sequence, "v": top or 1, "called": top is not None},
                )
