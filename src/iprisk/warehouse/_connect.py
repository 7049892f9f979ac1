"""Where a warehouse lives (a DuckDB file, memory, or any Ibis URL) and how to open it while others use it.

DuckDB lets one process at a time hold a database file (even a read-only open conflicts with a writer), so an
open that finds the file locked waits and retries, with growing pauses, up to ``lock_timeout_s``; then it
raises :class:`~iprisk.errors.WarehouseBusy`, having changed nothing.

A warehouse file is data, not code: DuckDB is opened with external access off (a view stored in a crafted
file cannot read local files or URLs) and without installing or loading extensions on its own (a SQLite
file given as a warehouse is refused instead of making DuckDB fetch the SQLite extension from the network).
Locations are shown with any password redacted.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from iprisk.errors import NotFound, WarehouseBusy, WarehouseError
from iprisk.security.redact import redact

MEMORY = ":memory:"

#: How every warehouse connection is opened (see the module docstring). External access cannot be turned
#: back on while a database is open.
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


@dataclass(frozen=True, slots=True)
class Location:
    """A parsed warehouse location: ``kind`` is ``"duckdb"`` (``target`` a file path or ``:memory:``) or
    ``"ibis"`` (``target`` a connection URL handed to ``ibis.connect``)."""

    kind: str
    target: str

    def __str__(self) -> str:
        return redact(self.target)


def parse_location(location: str | Path) -> Location:
    """A bare path (any extension, typically ``.duckdb`` or ``.db``), ``duckdb://PATH`` or ``:memory:`` mean
    DuckDB; any other ``scheme://`` URL goes to Ibis."""
    if isinstance(location, Path):
        return Location("duckdb", str(location))
    text = str(location).strip()
    if not text:
        raise WarehouseError("empty warehouse location")
    if "://" not in text:
        return Location("duckdb", text)
    scheme, rest = text.split("://", 1)
    if scheme.lower() == "duckdb":
        # duckdb:///abs/path -> /abs/path ; duckdb://rel/path -> rel/path ; duckdb:// -> memory
        return Location("duckdb", rest or MEMORY)
    return Location("ibis", text)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def _create_atomically(path: Path) -> None:
    """Create an empty DuckDB file at ``path`` unless one exists, so that it never appears half-written.

    DuckDB creates a new file before it takes the lock and writes the header, so a second process opening a
    brand-new warehouse at that moment would find "not a valid DuckDB database file". Instead the database
    is made under a private name and hard-linked into place (atomic; fails when another process won).
    """
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{random.getrandbits(32):08x}.tmp")
    try:
        duckdb.connect(str(tmp), config=DUCKDB_CONFIG).close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
        except OSError:  # a filesystem without hard links
            if not path.exists():
                os.rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def connect_duckdb(path: str, *, timeout_s: float, create: bool = True, read_only: bool = False) -> Any:
    """Open a DuckDB file read-write (or ``read_only``), retrying while another process holds it.

    Raises WarehouseBusy after ``timeout_s`` seconds, WarehouseError when the file is not a usable database,
    NotFound when it does not exist and ``create`` is false (or ``read_only``).
    """
    if path != MEMORY:
        if (read_only or not create) and not Path(path).exists():
            raise NotFound("warehouse", path)
        if not read_only:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            try:
                _create_atomically(Path(path))
            except (OSError, duckdb.Error) as exc:
                raise WarehouseError(f"cannot create warehouse {path}: {exc}") from exc
    deadline = time.monotonic() + max(timeout_s, 0.0)
    pause = 0.02
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only and path != MEMORY, config=DUCKDB_CONFIG)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseBusy(path) from exc
            # Jitter so that two waiting processes do not retry in lock step.
            time.sleep(min(left, pause * random.uniform(0.5, 1.5)))
            pause = min(pause * 2, 0.5)
            continue
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
        # Timestamps are stored and returned in UTC whatever the machine's time zone.
        con.execute("SET TimeZone = 'UTC'")
        return con
