"""Scores (as ``iprisk targeting score`` writes them) joined to the labelled declarations they rank, and
measured: what ``iprisk targeting evaluate`` does, as library calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from iprisk.errors import InvalidInput, Problem
from iprisk.evaluation.metrics import by_group, metrics_table
from iprisk.targeting.inputs import first_row_error, label_values

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


@dataclass(frozen=True)
class ScoreEvaluation:
    """How well a scores file ranked labelled declarations (see :func:`evaluate_scores`)."""

    #: one row per k: ``rows``, ``hits``, then :data:`~iprisk.evaluation.METRIC_COLUMNS` (AUC on every row)
    metrics: pd.DataFrame
    rows: int
    hits: int
    #: declaration lines without a label (not inspected), left out
    unlabelled: int
    auc: float
    #: where the largest k's selection falls per value of ``by`` (:func:`~iprisk.evaluation.by_group`)
    by_group: pd.DataFrame | None = None

    @property
    def hit_rate(self) -> float:
        return self.hits / self.rows if self.rows else float("nan")


def evaluate_scores(
    scores: pd.DataFrame,
    declarations: pd.DataFrame,
    *,
    label: str = "infringement",
    at: Sequence[float] = (1, 2, 5, 10),
    by: str | None = None,
    scores_name: str = "scores",
    declarations_name: str = "declarations",
) -> ScoreEvaluation:
    """Precision, recall, value-recall, lift and AUC of the ranking in ``scores`` on the labelled lines of
    ``declarations``, each against random and the oracle, at every ``at`` percentage inspected.

    The ``rank`` column is the ordering evaluated (it encodes what the scores were ranked by: probability or
    expected value); the AUC is that of the ``score`` column. With ``by`` (a declarations column, e.g.
    ``office``), also where the largest k's selection falls per group. InvalidInput names what is wrong and
    where (see :func:`join_scores`; a ``by`` column the declarations lack).
    """
    if by is not None and by not in declarations.columns:
        raise InvalidInput(
            [Problem("missing-column", "--by column not found", column=by, file=declarations_name)],
            source=declarations_name,
        )
    joined, unlabelled = join_scores(
        scores, declarations, label=label, scores_name=scores_name, declarations_name=declarations_name
    )
    y01 = label_values(joined[label], label)
    order_key = -joined["rank"].to_numpy(dtype="float64")
    values = pd.to_numeric(joined["value"], errors="coerce").to_numpy() if "value" in joined else None
    table = metrics_table(y01, order_key, at=list(at), values=values)
    table["auc"] = metrics_table(y01, joined["score"].to_numpy(), at=list(at)[:1])["auc"].iloc[0]
    hits = int(y01.sum())
    table.insert(0, "rows", len(joined))
    table.insert(1, "hits", hits)
    groups = None
    if by is not None:
        groups = by_group(y01, order_key, joined[by].to_numpy(), max(at), values)
    return ScoreEvaluation(table, len(joined), hits, unlabelled, float(table["auc"].iloc[0]), groups)
