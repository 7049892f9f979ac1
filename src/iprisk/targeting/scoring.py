"""Score a declarations table: the scores table (:data:`iprisk.formats.SCORES`) in one call.

What ``iprisk targeting score`` does, as a library function a notebook or a web route calls the same way:
the rows are scored in chunks (features, active profiles, model; see :mod:`iprisk.targeting.batch`), ranked
over the whole table, and the top rows explained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from iprisk.formats.referrals import ReferralWarning
from iprisk.formats.scores import SCORES
from iprisk.referrals.watch import flag_scores, watch_matches
from iprisk.targeting.batch import CHUNK_ROWS, OUTPUT_SCHEMA, default_threads, score_batches
from iprisk.targeting.ranking import ranks, selected_count
from iprisk.targeting.scorer import LightGBMScorer, format_reasons

#: ``progress(stage, rows)``: the stage starting (``scoring``, ``explaining``) and how many rows it covers.
ScoringProgress = Callable[[str, int], None]


def score_declarations(
    model: LightGBMScorer | str | Path,
    declarations: pa.Table,
    *,
    profiles: Sequence[Any] | None = None,
    value_aware: bool | None = None,
    top: int = 3,
    reasons_for: float = 100.0,
    progress: ScoringProgress | None = None,
    watches: Sequence[ReferralWarning] = (),
    party_key: bytes | None = None,
) -> pa.Table:
    """The scores of every declaration line, in input order: a table of :data:`~iprisk.formats.SCORES`.

    Parameters
    ----------
    model
        A fitted :class:`LightGBMScorer`, or the directory it was saved to.
    declarations
        Declarations as :func:`iprisk.formats.read_declarations` returns them.
    profiles
        Risk profiles; each row lists the *active* ones it matches (``matched_profiles``).
    value_aware
        Rank by expected detained value (probability x declared value) instead of probability; ``None``
        keeps the model's own setting. The model itself is never changed.
    top
        Reasons listed per explained row (0: none).
    reasons_for
        Explain only the rows ranked in the top ``reasons_for`` % (explaining costs about 1 ms a row).
    watches
        Warnings received at this node's ports (KA2 referrals): the lines that match one are flagged with
        ``referral:<id>`` in ``matched_profiles`` and the reason first in ``top_reasons``
        (:mod:`iprisk.referrals.watch`); ``party_key`` lets keyed party ids match.

    Raises InvalidInput when a column the model needs is missing or empty throughout.
    """
    scorer = model if isinstance(model, LightGBMScorer) else LightGBMScorer.load(model)
    report = progress or (lambda stage, rows: None)
    n = declarations.num_rows
    report("scoring", n)
    batches = declarations.to_batches(max_chunksize=CHUNK_ROWS)
    scored = pa.Table.from_batches(
        list(score_batches(scorer, batches, profiles, value_aware=value_aware)), schema=OUTPUT_SCHEMA
    )
    # ranks are taken over the whole table, after every chunk is scored
    rank = ranks(scored.column("priority").to_numpy())
    explained = np.empty(0, dtype="int64")
    if reasons_for > 0 and n:
        explained = np.flatnonzero(rank <= selected_count(n, reasons_for))
    reasons = [""] * n
    if top > 0 and len(explained):
        report("explaining", len(explained))
        why = scorer.explain(declarations.take(explained), top=top, threads=default_threads())
        for i, r in zip(explained, why, strict=True):
            reasons[i] = format_reasons(r)
    table = pa.table(
        {
            "declaration_id": scored.column("declaration_id"),
            "item_no": scored.column("item_no"),
            "score": scored.column("score"),
            "rank": pa.array(rank, pa.int64()),
            "matched_profiles": scored.column("matched_profiles"),  # ids separated by ';'
            "top_reasons": pa.array(reasons, pa.string()),
        },
        schema=SCORES.arrow_schema,
    )
    if watches:
        table = flag_scores(table, watch_matches(declarations, watches, key=party_key))
    return table
