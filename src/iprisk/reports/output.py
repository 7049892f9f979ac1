"""Writing a report file whole or not at all (:func:`iprisk.security.atomic_write`: a temporary file in the
same folder, renamed over the target once complete; a crash never leaves half a PDF where the previous one
was)."""

from __future__ import annotations

from pathlib import Path

from iprisk.security import atomic_write


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))
