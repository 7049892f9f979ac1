"""Limits on inputs, from the settings: a file past one is refused before it can take minutes or gigabytes.

Each check raises :class:`~iprisk.errors.LimitExceeded` naming the limit, what was found and the setting that
raises it. The checks cost nothing on the fast path (a size from ``stat``, a count, one length kernel per
column) and are the same for a file given on the command line and an upload of the web node.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from iprisk.errors import LimitExceeded
from iprisk.settings import Settings, get_settings

_MB = 1_000_000


def limits() -> Settings:
    """The settings that hold the limits (read once per process)."""
    return get_settings()


def check_size(path: Path, source: str) -> None:
    """The file is at most ``max_input_mb``."""
    allowed = limits().max_input_mb
    size = path.stat().st_size
    if size > allowed * _MB:
        raise LimitExceeded(source, "file size", f"{size / _MB:,.1f} MB", "max_input_mb", f"{allowed:g} MB")


def check_columns(count: int, source: str) -> None:
    allowed = limits().max_columns
    if count > allowed:
        raise LimitExceeded(source, "columns", f"{count:,} columns", "max_columns", f"{allowed:,}")


def check_rows(count: int, source: str) -> None:
    allowed = limits().max_rows
    if count > allowed:
        raise LimitExceeded(source, "rows", f"more than {allowed:,} rows", "max_rows", f"{allowed:,}")


def check_cells(table: pa.Table, source: str) -> None:
    """No text cell of ``table`` (all strings) is longer than ``max_cell_chars`` characters.

    One length kernel per column in bytes first (a UTF-8 character is 1 to 4 bytes): only a column holding a
    cell of more bytes than the limit is measured in characters.
    """
    allowed = limits().max_cell_chars
    for name, column in zip(table.column_names, table.columns, strict=True):
        if not len(column) or not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        longest = pc.max(pc.binary_length(column)).as_py() or 0
        if longest <= allowed:
            continue
        chars = pc.utf8_length(column)
        longest = pc.max(chars).as_py() or 0
        if longest > allowed:
            row = pc.index(chars, longest).as_py() + 1
            raise LimitExceeded(
                source,
                f"cell length (column {name!r}, row {row})",
                f"{longest:,} characters",
                "max_cell_chars",
                f"{allowed:,}",
            )


def line_limit() -> int:
    """``max_line_bytes``: the CSV reader's block size, so that a longer record cannot be parsed."""
    return limits().max_line_bytes


def line_exceeded(source: str) -> LimitExceeded:
    allowed = limits().max_line_bytes
    return LimitExceeded(
        source,
        "line length (or a quote that is never closed)",
        f"a record longer than {allowed:,} bytes",
        "max_line_bytes",
        f"{allowed:,} bytes",
    )


def check_workbook(path: Path, source: str) -> None:
    """An XLSX (zip) inflates to at most ``max_decompressed_mb`` and ``max_compression_ratio`` times its size.

    Read from the zip directory alone, before anything is decompressed.
    """
    settings = limits()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: the workbook reader reports it as unreadable
    inflated = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    if inflated > settings.max_decompressed_mb * _MB:
        raise LimitExceeded(
            source,
            "decompressed size",
            f"{inflated / _MB:,.0f} MB",
            "max_decompressed_mb",
            f"{settings.max_decompressed_mb:g} MB",
        )
    ratio = inflated / packed
    if ratio > settings.max_compression_ratio:
        raise LimitExceeded(
            source,
            "compression ratio",
            f"{ratio:,.0f} to 1",
            "max_compression_ratio",
            f"{settings.max_compression_ratio:g} to 1",
        )
