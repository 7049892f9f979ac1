"""Scores (as ``iprisk targeting score`` writes them) joined to the labelled declarations they rank."""

from __future__ import annotations

import pandas as pd

from iprisk.errors import InvalidInput, Problem
from iprisk.targeting.inputs import first_row_error

#: The line key a scores file and its declarations share (``item_no`` is 1 when absent).
LINE_KEYS = ["declaration_id", "item_no"]


def join_scores(
    scored: pd.DataFrame,
    declarations: pd.DataFrame,
    *,
    label: str,
    scores_name: str = "scores",
    declarations_name: str = "declarations",
) -> tuple[pd.DataFrame, int]:
    """The labelled declaration lines with their ``score`` and ``rank``, and how many unlabelled (not
    inspected) lines were left out.

    InvalidInput names what is wrong and where: a scores file without ``declaration_id``, ``score`` or
    ``rank``; declarations without the label column; a line key that is not unique in either file; a
    declaration line with no score; no labelled line at all.
    """
    missing = [c for c in ("declaration_id", "score", "rank") if c not in scored.columns]
    if missing:
        raise InvalidInput(
            [Problem("missing-column", "not a scores file", column=c, file=scores_name) for c in missing],
            source=scores_name,
        )
    if label not in declarations.columns:
        raise InvalidInput(
            [Problem("missing-column", "label column not found", column=label, file=declarations_name)],
            source=declarations_name,
        )
    scored, frame = scored.copy(), declarations.copy()
    if "item_no" not in scored.columns:
        scored["item_no"] = 1
    frame["declaration_id"] = frame["declaration_id"].astype(str)
    frame["item_no"] = frame["item_no"].astype("int64") if "item_no" in frame.columns else 1
    scored["item_no"] = scored["item_no"].astype("int64")
    for name, table in ((scores_name, scored), (declarations_name, frame)):
        dup = table.duplicated(LINE_KEYS).to_numpy()
        if dup.any():
            raise first_row_error(
                dup,
                table["declaration_id"],
                "duplicate-line",
                "declaration_id and item_no must identify one line",
                column="declaration_id",
                file=name,
                source=name,
            )
    joined = frame.merge(scored[[*LINE_KEYS, "score", "rank"]], on=LINE_KEYS, how="left")
    unscored = joined["score"].isna().to_numpy()
    if unscored.any():
        raise first_row_error(
            unscored,
            joined["declaration_id"],
            "unscored",
            "declaration line has no score",
            column="declaration_id",
            file=declarations_name,
            source=scores_name,
        )
    labelled = joined[label].notna().to_numpy()
    if not labelled.any():
        raise InvalidInput(
            [Problem("no-labels", "no row has a label to evaluate against", column=label)],
            source=declarations_name,
        )
    return joined[labelled], int((~labelled).sum())
