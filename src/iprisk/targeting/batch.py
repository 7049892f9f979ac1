"""Batch scoring: Arrow record batches in, scores out, with bounded memory (10 M rows and more).

:func:`score_batches` streams record batches (or tables) through the compiled features
(:class:`~iprisk.targeting.columnar.CompiledFeatures`), the active risk profiles (one DuckDB query per batch,
:func:`iprisk.profiles.evaluate`) and the LightGBM model, and yields one record batch of
``declaration_id, item_no, score, priority, matched_profiles`` per input batch, rows in input order.
:func:`score_parquet` does the same from one Parquet file to another, reading ``chunk_rows`` rows at a time,
so memory stays flat whatever the file size. Scores are the same numbers as
:meth:`LightGBMScorer.score` on the whole table: every feature of a row depends on that row and the
training state only (party histories without labels are whole-training totals).

Within a batch, worker threads (one per core) each build the features of a slice and predict it, while
another matches the profiles; the reading of the next Parquet chunk overlaps the scoring of the current
one (:func:`score_parquet`). Every stage releases the GIL for most of its work, so they share the cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from iprisk.targeting.columnar import is_text, numeric
from iprisk.targeting.compiled import CACHE_FOLDER, Predictor, compiled_predictor
from iprisk.targeting.matching import matched_profile_ids
from iprisk.targeting.scorer import LightGBMScorer

#: rows per feature matrix handed to LightGBM (64 Ki rows x 85 features = 44 MB)
SLICE_ROWS = 65_536
#: output columns written with Parquet dictionary pages (the others are nearly all distinct)
DICTIONARY_COLUMNS = ("item_no", "matched_profiles")
#: rows read from Parquet at a time by :func:`score_parquet`
CHUNK_ROWS = 1_000_000
OUTPUT_SCHEMA = pa.schema(
    [
        ("declaration_id", pa.string()),
        ("item_no", pa.int64()),
        ("score", pa.float64()),
        ("priority", pa.float64()),
        ("matched_profiles", pa.string()),
    ]
)


def default_threads() -> int:
    """Threads for prediction: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def active_profiles(profiles: Sequence[Any] | None) -> list[Any]:
    return [p for p in profiles or [] if p.status == "active"]


def needed_columns(scorer: LightGBMScorer, profiles: Sequence[Any] | None = None) -> list[str]:
    """The declarations columns scoring reads: the model's, identifiers, and those of the active profiles."""
    from iprisk.profiles.engine import profile_columns

    cols = {*scorer.builder_.required_columns_, "declaration_id", "item_no", "value"}
    for p in active_profiles(profiles):
        cols |= profile_columns(p)
    if any(p.criteria.product_categories for p in active_profiles(profiles)):
        cols.add("hs_code")
    return sorted(cols)


class _Predictions:
    """The model's probabilities of one table, slice by slice, on worker threads (one thread per slice).

    Each slice is a whole task on a worker: its feature matrix (into a reused buffer) and the trees. The
    lookups run mostly in numpy, pandas and Arrow kernels and the trees in LightGBM or the compiled model,
    all of which release the GIL, so the slices of a table keep every core busy; the calling thread only
    hands out slices (and collects them). A bounded number of slices in flight bounds memory. Each
    prediction depends on its row only, so slicing never changes a score.
    """

    def __init__(
        self,
        scorer: LightGBMScorer,
        pool: ThreadPoolExecutor | None,
        workers: int,
        predict: Predictor | None = None,
    ) -> None:
        self.scorer = scorer
        self.predict = predict or Predictor(scorer.booster_, None)
        self.pool = pool
        self.limit = workers + 1
        self.buffers: list[np.ndarray] = []
        self.pending: list[tuple[Future[Any], np.ndarray, int, int]] = []

    def _collect_oldest(self, out: np.ndarray) -> np.ndarray:
        fut, buf, a, b = self.pending.pop(0)
        out[a:b] = fut.result()
        return buf

    def _slice(self, data: pa.Table, buf: np.ndarray) -> np.ndarray:
        return self.predict(self.scorer.builder_.compiled().matrix(data, check=False, out=buf))

    def submit(self, data: pa.Table, slice_rows: int) -> np.ndarray:
        compiled = self.scorer.builder_.compiled()
        out = np.empty(len(data), dtype="float64")
        if self.pool is None:  # one thread: no overlap
            if len(data):
                out[:] = self.predict(compiled.matrix(data, check=False))
            return out
        for start in range(0, len(data), slice_rows):
            stop = min(start + slice_rows, len(data))
            if len(self.pending) >= self.limit:
                buf = self._collect_oldest(out)
            elif self.buffers:
                buf = self.buffers.pop()
            else:
                buf = np.empty((slice_rows, len(compiled.feature_names)))
            fut = self.pool.submit(self._slice, data.slice(start, stop - start), buf)
            self.pending.append((fut, buf, start, stop))
        return out

    def wait(self, out: np.ndarray) -> np.ndarray:
        while self.pending:
            self.buffers.append(self._collect_oldest(out))
        return out


def raw_probabilities(
    scorer: LightGBMScorer,
    data: pa.Table | pa.RecordBatch,
    *,
    threads: int | None = None,
    slice_rows: int = SLICE_ROWS,
    check: bool = True,
) -> np.ndarray:
    """The trees' raw probability per row (as :meth:`LightGBMScorer.score` with ``calibrated=False``),
    features and prediction overlapped."""
    scorer._check()
    table = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])
    if check:
        scorer.builder_.compiled().check(table)
    threads = threads or default_threads()
    if threads < 2:
        return _Predictions(scorer, None, 1).submit(table, slice_rows)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        work = _Predictions(scorer, pool, threads)
        return work.wait(work.submit(table, slice_rows))


def _matched(data: pa.Table, profiles: list[Any]) -> pa.Array:
    """The ids of the active profiles each row matches, joined by ';' ('' when none)."""
    if not profiles:
        return pa.array([""] * len(data), pa.string()) if len(data) else pa.array([], pa.string())
    fast = matched_profile_ids(data, profiles)
    if fast is not None:
        return fast
    from iprisk.codes import categories_for_hs
    from iprisk.profiles import evaluate

    needs_category = any(p.criteria.product_categories for p in profiles)
    if needs_category and "product_category" not in data.column_names and "hs_code" in data.column_names:
        # the same derivation evaluate() would do, on the distinct HS codes only
        enc = pc.dictionary_encode(data.column("hs_code").combine_chunks())
        data = data.append_column("product_category", categories_for_hs(enc.dictionary).take(enc.indices))
    flagged = evaluate(data, profiles, keep=[]).column("matched_profiles")
    joined = pc.binary_join(flagged, ";")
    return pc.fill_null(joined, "").combine_chunks()


def score_batches(
    scorer: LightGBMScorer,
    batches: Iterable[pa.RecordBatch | pa.Table],
    profiles: Sequence[Any] | None = None,
    *,
    threads: int | None = None,
    slice_rows: int = SLICE_ROWS,
    value_aware: bool | None = None,
    compiled: bool = False,
    compile_cache: str | Path | None = None,
) -> Iterator[pa.RecordBatch]:
    """Score a stream of declarations; one output batch (:data:`OUTPUT_SCHEMA`) per input batch.

    ``priority`` is what to rank by: the probability, or with ``value_aware`` (default: the model's own
    ``value_aware``) the expected detained value (probability x declared value). ``matched_profiles``
    lists the *active* ``profiles`` each row matches (``;``-separated ids). A batch lacking a column the
    model needs raises ``InvalidInput``; so does a batch in which a column always filled in training is
    empty throughout.

    ``compiled=True`` predicts with the model compiled to machine code (:mod:`iprisk.targeting.compiled`,
    the same scores, about 4x faster; compiling takes tens of seconds unless cached in ``compile_cache``):
    worth it from a few hundred thousand rows.
    """
    scorer._check()
    chosen = active_profiles(profiles)
    by_value = scorer.value_aware if value_aware is None else value_aware
    threads = threads or default_threads()
    predict = compiled_predictor(scorer.booster_, compile_cache) if compiled else None
    with ThreadPoolExecutor(max_workers=threads) as pool:
        work = _Predictions(scorer, pool if threads > 1 else None, threads, predict)
        for batch in batches:
            table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            scorer.builder_.compiled().check(table)
            # the profiles first in the queue: one worker matches them while the other starts the slices
            matched = pool.submit(_matched, table, chosen) if threads > 1 else None
            pending = work.submit(table, slice_rows)
            flags = matched.result() if matched is not None else _matched(table, chosen)
            yield _output(table, scorer.apply_calibration(work.wait(pending)), flags, by_value)


def _output(table: pa.Table, p: np.ndarray, matched: pa.Array, value_aware: bool) -> pa.RecordBatch:
    if value_aware:
        priority = p * np.nan_to_num(numeric(table.column("value").combine_chunks()), nan=0.0)
    else:
        priority = p
    n = len(table)
    ids = (
        table.column("declaration_id").cast(pa.string()).combine_chunks()
        if "declaration_id" in table.column_names
        else pa.nulls(n, pa.string())
    )
    item = (
        table.column("item_no").cast(pa.int64()).combine_chunks()
        if "item_no" in table.column_names
        else pa.array(np.ones(n, dtype="int64"))
    )
    return pa.RecordBatch.from_arrays(
        [ids, item, pa.array(p), pa.array(priority), matched], schema=OUTPUT_SCHEMA
    )


def _read_ahead(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The same batches, the next one read (Parquet decoding releases the GIL) while the caller works."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="iprisk-read") as reader:
        ahead = reader.submit(next, batches, None)
        while (batch := ahead.result()) is not None:
            ahead = reader.submit(next, batches, None)
            yield batch


def score_parquet(
    model: LightGBMScorer | str | Path,
    in_path: str | Path,
    out_path: str | Path,
    profiles: Sequence[Any] | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    threads: int | None = None,
    value_aware: bool | None = None,
    compiled: bool = False,
    compile_cache: str | Path | None = None,
) -> int:
    """Score a Parquet file of declarations into a Parquet file of scores, ``chunk_rows`` at a time.

    ``model`` is a fitted scorer or a model directory; ``value_aware`` and ``compiled`` as in
    :func:`score_batches` (the machine code is cached in ``compile_cache``, by default the model
    directory's ``.compiled/`` when one is given and writable). Returns the number of rows scored. Only the
    columns scoring needs are read.
    """
    scorer = model if isinstance(model, LightGBMScorer) else LightGBMScorer.load(model)
    cache = compile_cache
    if cache is None and not isinstance(model, LightGBMScorer):
        cache = Path(model) / CACHE_FOLDER
    schema = pq.read_schema(in_path)
    columns = [c for c in needed_columns(scorer, profiles) if c in schema.names]
    # code columns read as Parquet stores them, dictionary-encoded: no string per row is built, and the
    # lookups and the profiles work on the dictionary (the ids, nearly all distinct, are read as strings)
    codes = [c for c in columns if c != "declaration_id" and is_text(schema.field(c).type)]
    source = pq.ParquetFile(in_path, read_dictionary=codes)
    rows = 0
    # dictionary pages only where values repeat: scores, priorities and ids are nearly all distinct, and
    # hashing every one of them for a dictionary Parquet then abandons cost ~2 % of the CPU (perf)
    with pq.ParquetWriter(out_path, OUTPUT_SCHEMA, use_dictionary=list(DICTIONARY_COLUMNS)) as writer:
        batches = _read_ahead(source.iter_batches(batch_size=chunk_rows, columns=columns))
        scored_batches = score_batches(
            scorer,
            batches,
            profiles,
            threads=threads,
            value_aware=value_aware,
            compiled=compiled,
            compile_cache=cache,
        )
        for scored in scored_batches:
            writer.write_batch(scored)
            rows += scored.num_rows
    return rows
