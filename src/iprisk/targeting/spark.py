"""The same batch scoring on PySpark: Arrow record batches through ``DataFrame.mapInArrow``.

:func:`score_spark` ships the fitted scorer to the executors as plain data (the LightGBM text model, the
feature-builder state and the meta, in one broadcast variable; no pickle of live objects), rebuilds it once
per Python worker and runs :func:`iprisk.targeting.batch.score_batches` on every Arrow batch Spark hands
over. Scores are identical to the DuckDB/pandas path because it is the same code on the same values: every
feature depends on its own row and the training state only (tested on a small set, ``-m spark``).

PySpark is optional: importing this module does not import it; calling :func:`score_spark` needs it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from iprisk.targeting.batch import needed_columns, score_batches
from iprisk.targeting.scorer import LightGBMScorer

#: Spark schema of the scored rows (as :data:`iprisk.targeting.batch.OUTPUT_SCHEMA`)
OUTPUT_DDL = "declaration_id string, item_no long, score double, priority double, matched_profiles string"

#: scorers rebuilt in this Python worker, by content hash (a worker serves many batches and tasks)
_WORKER_SCORERS: dict[str, LightGBMScorer] = {}


def _payload(scorer: LightGBMScorer, profiles: Sequence[Any] | None, value_aware: bool) -> dict[str, Any]:
    meta, model, state = scorer.to_parts()
    meta = {**meta, "params": {**meta["params"], "value_aware": value_aware}}
    token = hashlib.sha256(model.encode() + repr(meta).encode()).hexdigest()
    chosen = [p.model_dump(mode="json") for p in profiles or [] if p.status == "active"]
    return {"token": token, "meta": meta, "model": model, "state": state, "profiles": chosen}


def _scorer_of(payload: dict[str, Any]) -> LightGBMScorer:
    token = payload["token"]
    if token not in _WORKER_SCORERS:
        _WORKER_SCORERS[token] = LightGBMScorer.from_parts(
            payload["meta"], payload["model"], payload["state"]
        )
    return _WORKER_SCORERS[token]


def score_spark(
    scorer: LightGBMScorer,
    declarations: Any,
    profiles: Sequence[Any] | None = None,
    *,
    threads: int = 1,
    value_aware: bool | None = None,
) -> Any:
    """Score a Spark DataFrame of declarations; a Spark DataFrame of :data:`OUTPUT_DDL` rows.

    Lazy, like any Spark transformation: nothing runs before an action (``collect``, ``write``...).
    ``threads`` is LightGBM's thread count inside each task (Spark already runs one task per core);
    ``value_aware`` as in :func:`iprisk.targeting.batch.score_batches`.
    """
    scorer._check()
    spark = declarations.sparkSession
    by_value = scorer.value_aware if value_aware is None else value_aware
    shipped = spark.sparkContext.broadcast(_payload(scorer, profiles, by_value))

    def score_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from iprisk.profiles import Profile

        payload = shipped.value
        local = _scorer_of(payload)
        chosen = [Profile.model_validate(p) for p in payload["profiles"]]
        for batch in batches:
            if batch.num_rows:
                yield from score_batches(local, [batch], chosen, threads=threads)

    # only the columns scoring reads cross from the JVM to Python
    wanted = [c for c in needed_columns(scorer, profiles) if c in declarations.columns]
    return declarations.select(*wanted).mapInArrow(score_partition, OUTPUT_DDL)
