"""Where outputs may go, and writing them so that a crash never leaves half a file.

Every file iprisk writes for a person (exports, ``--errors-out``, scores, metrics, profiles) goes through
:func:`check_output` and :func:`atomic_write`: an output is never an input of the same command, the
warehouse, the operational database, or any existing DuckDB or SQLite database file; and it is written to
a temporary file in the same folder, then renamed over the target (atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from iprisk.errors import UnsafeOutput

_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC = b"DUCK"  # at offset 8 of a DuckDB database file


def local_database_file(location: str | Path | None) -> Path | None:
    """The local file behind a warehouse or database location, or None (memory, a server URL).

    A bare path, ``duckdb://PATH`` and ``sqlite:///PATH`` name files; ``:memory:`` and other URLs do not.
    """
    if location is None:
        return None
    text = str(location).strip()
    if not text or text == ":memory:":
        return None
    if "://" not in text:
        return Path(text)
    scheme, rest = text.split("://", 1)
    scheme = scheme.lower()
    if scheme == "duckdb":
        return Path(rest) if rest and rest != ":memory:" else None
    if scheme.startswith("sqlite"):
        path = (
            rest[1:] if rest.startswith("/") else rest
        )  # sqlite:///rel.db -> rel.db, sqlite:////abs -> /abs
        return Path(path.split("?", 1)[0]) if path and path != ":memory:" else None
    return None


def protected_paths(warehouse: str | Path | None = None, database: str | None = None) -> list[Path]:
    """The warehouse and operational-database files (their settings when not given), with DuckDB's WAL."""
    from iprisk.settings import get_settings

    settings = get_settings()
    found = []
    for location in (warehouse or settings.warehouse, database or settings.database):
        path = local_database_file(location)
        if path is not None:
            found += [path, path.with_name(path.name + ".wal")]
    return found


def is_database_file(path: Path) -> bool:
    """Whether ``path`` is an existing DuckDB or SQLite database (by its first bytes)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(_SQLITE_MAGIC) or head[8:12] == _DUCKDB_MAGIC


def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)  # hard links, bind mounts
    except OSError:
        return False


def check_output(
    path: str | Path,
    *,
    inputs: Iterable[str | Path] = (),
    protected: Iterable[str | Path] = (),
    directory: bool = False,
) -> Path:
    """``path`` when it is a safe place to write; UnsafeOutput naming what it would overwrite otherwise.

    Refused: an input of the command, a protected file (the warehouse, the database: see
    :func:`protected_paths`), an existing database file, a folder where a file is expected (or a file where
    a folder is, with ``directory=True``), and a folder that holds a protected file when ``directory``.
    """
    out = Path(path)
    for role, others in (("an input of this command", inputs), ("the warehouse or the database", protected)):
        for other in others:
            if _same(out, Path(other)):
                raise UnsafeOutput(str(out), f"it is {role} ({other})")
    if directory:
        if out.exists() and not out.is_dir():
            raise UnsafeOutput(str(out), "a file exists there and a folder is expected")
        return out
    if out.is_dir():
        raise UnsafeOutput(str(out), "it is a folder; give a file name")
    if is_database_file(out):
        raise UnsafeOutput(str(out), "it is a database file (DuckDB or SQLite); outputs never overwrite one")
    return out


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block succeeds, rename it over ``path``.

    A failure (or a crash) leaves ``path`` as it was and removes the temporary file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
