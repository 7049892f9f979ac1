"""The scores table: one row per declaration line scored, what ``iprisk targeting score`` writes (CSV) and
``iprisk targeting evaluate`` reads back, and what a web route will return.

Built by :func:`iprisk.targeting.score_declarations`; defined here, next to the other exchanged tables, so
that its columns and types are written down once.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from iprisk.formats.schema import Column, Schema

SCORES = Schema(
    "scores",
    [
        Column("declaration_id", "text", True, "Declaration reference, as in the declarations scored"),
        Column(
            "item_no", "integer", True, "Item within the declaration (1 when the file had none)", minimum=1
        ),
        Column("score", "decimal", True, "Probability that the line infringes", minimum=0, maximum=1),
        Column(
            "rank",
            "integer",
            True,
            "Position in the file by priority, 1 = inspect first (probability, or expected detained value)",
            minimum=1,
        ),
        Column(
            "matched_profiles",
            "text",
            False,
            "Ids of the active risk profiles the line matches, ';'-separated",
        ),
        Column(
            "top_reasons",
            "text",
            False,
            "Features that raised the score most, `name=+contribution; ...` (empty for lines not explained)",
        ),
    ],
)

#: Scores are written with six significant digits: more is noise, and the files stay small.
_FLOAT_FORMAT = "%.6g"


def write_scores(scores: pa.Table, path: str | Path) -> Path:
    """Write a scores table (:data:`SCORES`) as CSV (UTF-8, comma), creating the folder.

    Written atomically, text cells inert in a spreadsheet (see :mod:`iprisk.security.cells`).
    """
    from iprisk.security import atomic_write, neutralise_frame

    out = Path(path)
    frame = neutralise_frame(scores.select(list(SCORES)).to_pandas())
    with atomic_write(out) as tmp:
        frame.to_csv(tmp, index=False, float_format=_FLOAT_FORMAT)
    return out


def read_scores(path: str | Path) -> pd.DataFrame:
    """A scores CSV as written by :func:`write_scores` (``declaration_id`` kept as text)."""
    from iprisk.security import restore

    frame = pd.read_csv(path, dtype={"declaration_id": str})
    for name in frame.columns:
        if frame[name].dtype == object:
            frame[name] = frame[name].map(lambda v: restore(v) if isinstance(v, str) else v)
    return frame
