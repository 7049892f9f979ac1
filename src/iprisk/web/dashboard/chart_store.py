"""Where the pages' charts are kept once drawn: SVG files beside the analysis they draw
(``<analysis_folder>/dashboard-charts/<digest>.svg``), keyed by everything the chart is drawn from (its rows,
links, language and title), so a request reads a file instead of drawing (Vega takes a good part of a
second per chart, the KA3 map seconds).

Nothing stale can be shown: a new analysis gives new rows, so new keys, so new files; :func:`prune` removes
the files older than the analysis that no view asked for since. A file is written whole (a temporary file
renamed over it), so a reader never sees half a chart; two threads drawing the same chart write the same
bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The folder of the analysis folder the charts are kept in.
FOLDER = "dashboard-charts"
#: Part of every key: bumped when the drawing code changes, so charts drawn by older code are redrawn.
DRAWING_VERSION = 1


def chart_key(kind: str, *parts: Any) -> str:
    """The digest of a chart: its kind, the drawing version and what it is drawn from (JSON-able)."""
    text = json.dumps([kind, DRAWING_VERSION, *parts], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ChartStore:
    """The charts of one analysis folder (``None``: a store that keeps nothing, every chart drawn)."""

    def __init__(self, analysis_folder: Path | None) -> None:
        self.folder = Path(analysis_folder) / FOLDER if analysis_folder is not None else None
        self.drawn = 0  # charts this store drew (the others were read)
        self.asked: set[str] = set()  # the keys asked for

    def get(self, key: str, draw: Callable[[], str | None]) -> str | None:
        """The chart of ``key`` (from :func:`chart_key`): read when kept, else drawn and kept. A chart that
        cannot be drawn (no data) is kept as an empty file and is None."""
        self.asked.add(key)
        path = self.folder / f"{key}.svg" if self.folder is not None else None
        if path is not None:
            try:
                return path.read_text(encoding="utf-8") or None
            except FileNotFoundError:
                pass
        svg = draw()
        self.drawn += 1
        if path is not None:
            _write_whole(path, svg or "")
        return svg

    def has(self, key: str) -> bool:
        return self.folder is not None and (self.folder / f"{key}.svg").exists()


def _write_whole(path: Path, text: str) -> None:
    """``text`` to ``path`` through a temporary file renamed over it; a folder we may not write to (an
    analysis folder mounted read-only) only means the chart is drawn again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError:
        return


def prune(store: ChartStore, keep: set[str], older_than: float) -> int:
    """Remove the kept charts not in ``keep`` last written before ``older_than`` (a time stamp: the
    analysis' own), i.e. drawn from an analysis replaced since; returns how many."""
    if store.folder is None or not store.folder.is_dir():
        return 0
    removed = 0
    for path in [*store.folder.glob("*.svg"), *store.folder.glob("*.tmp")]:  # .tmp: a write cut short
        if path.stem not in keep and path.stat().st_mtime < older_than:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
