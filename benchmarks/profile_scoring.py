"""Where the time of batch scoring goes: CPU seconds per 1 M declarations, stage by stage, one thread.

The stages of :func:`iprisk.targeting.score_declarations` run one after the other on the same rows (the
first ``rows`` of ``out/scoring-1m.parquet``, built by :mod:`benchmarks.bench_scoring`), features in the batch
path's 65,536-row slices, each stage timed with ``time.process_time`` (CPU time of this process, all its
threads; the machine's load inflates wall time, far less CPU time):

- ``read``: the Parquet columns scoring needs, the code columns dictionary-encoded as ``score_parquet``
  reads them;
- ``check``: the required columns present and not empty throughout (:meth:`CompiledFeatures.check`);
- ``features: coding``: every code column dictionary-encoded, its distinct values turned into the training
  codes and looked up in the vocabularies (categoricals, parties, lanes, HS levels, exact values);
- ``features: pair lookups``: the 17 code pairs and 6 risk blocks, one integer hash lookup per row each;
- ``features: gathers and risk arithmetic``: rates, counts, coefficients taken by id, value ratios (the rest
  of :meth:`CompiledFeatures.features`, by difference);
- ``features: matrix assembly``: the columns written into the row-major matrix (by difference);
- ``profiles``: the active profiles each row matches (the batch path's dictionary-code matching), and the
  rule engine's DuckDB query for comparison (not counted in the total);
- ``predict, LightGBM`` and ``predict, compiled``: the trees on that matrix, one thread;
- ``output + write``: the output batch and its Parquet file;
- ``ranks``: the rank of every row over the whole table;
- ``reasons``: :meth:`LightGBMScorer.explain` (LightGBM's contributions, top 3) and their text, measured on
  ``reasons_rows`` rows and scaled (what ``targeting score`` spends per 1 M rows explained).

Run: ``python -m benchmarks.profile_scoring MODEL_DIR [out] [rows] [reasons_rows]`` (e.g.
``bench-out/scoring-model bench-out 1000000 20000``); prints one line per stage, the total of the batch path
(compiled: what ``score_parquet`` does, without ranks and reasons) and the rate two cores could reach if its
stages shared them perfectly. With ``PYTHONPATH`` set to another checkout's ``src`` (as ``bench_scoring``
does for its baseline) the same stages are measured on that code.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.bench_scoring import SMALL_FILE

#: stages that are not part of the batch path's total
NOT_IN_TOTAL = ("profiles, rule engine", "predict, LightGBM", "ranks", "reasons (explain + text)")


def _names(features: Any) -> list[str]:
    """Every vocabulary the transform looks rows up in (what the coding stage builds)."""
    names = {*features.keys, "hs6", *features.builder.categoricals_, *features.history}
    names |= {x for pair in features.pairs for x in pair}
    names |= set(features.risk_single) | set(features.risk_party)
    names |= {x for name in features.risk_pair for x in name.split("__")}
    return sorted(n for n in names if n in features.vocab)


def stages(model: Path, out: Path, rows: int, reasons_rows: int = 20_000) -> dict[str, float]:
    """CPU seconds per 1 M rows of each stage."""
    from iprisk.profiles import evaluate, load_profiles
    from iprisk.targeting.batch import SLICE_ROWS, _matched, _output, active_profiles, needed_columns
    from iprisk.targeting.compiled import CACHE_FOLDER, compiled_predictor
    from iprisk.targeting.ranking import ranks
    from iprisk.targeting.scorer import LightGBMScorer, format_reasons

    scorer = LightGBMScorer.load(model)
    profiles = active_profiles(load_profiles(out / "scoring-profiles.yaml"))
    features = scorer.builder_.compiled()
    compiled = compiled_predictor(scorer.booster_, model / CACHE_FOLDER)
    source = out / SMALL_FILE
    columns = [c for c in needed_columns(scorer, profiles) if c in pq.ParquetFile(source).schema_arrow.names]
    figures: dict[str, float] = {}
    per_m = 1e6 / rows

    def timed(name: str, work: Callable[[], Any]) -> Any:
        c0 = time.process_time()
        result = work()
        figures[name] = figures.get(name, 0.0) + (time.process_time() - c0) * per_m
        return result

    schema = pq.read_schema(source)
    # as the code's score_parquet reads: code columns dictionary-encoded where it takes them so
    from iprisk.targeting import columnar

    as_stored = hasattr(columnar, "dictionary_codes")
    codes = [
        c for c in columns if as_stored and c != "declaration_id" and pa.types.is_string(schema.field(c).type)
    ]

    def read() -> pa.Table:
        first = next(pq.ParquetFile(source, read_dictionary=codes).iter_batches(rows, columns=columns))
        return pa.Table.from_batches([first])

    table = timed("read", read)
    timed("check", lambda: features.check(table))
    names = _names(features)
    pairs = [(a, b, features.pair_index[f"{a}__{b}"]) for a, b in features.pairs]
    pairs += [(*name.split("__"), index) for name, (index, _) in features.risk_pair.items()]
    buffer = np.empty((SLICE_ROWS, len(features.feature_names)))
    matrix = np.empty((len(table), len(features.feature_names)))
    for start in range(0, len(table), SLICE_ROWS):
        part = table.slice(start, SLICE_ROWS)
        cache: dict[str, Any] = {}
        timed("features: coding", lambda p=part, c=cache: [features._ids(p, n, c) for n in names])
        timed(
            "features: pair lookups",
            lambda p=part, c=cache: [features._pair_positions(p, a, b, i, c) for a, b, i in pairs],
        )
        timed("features: all", lambda p=part: features.features(p))
        timed("matrix: all", lambda p=part: features.matrix(p, check=False, out=buffer))
        matrix[start : start + len(part)] = buffer[: len(part)]
    figures["features: gathers and risk arithmetic"] = (
        figures.pop("features: all") - figures["features: coding"] - figures["features: pair lookups"]
    )
    figures["features: matrix assembly"] = figures.pop("matrix: all") - sum(
        v for k, v in figures.items() if k.startswith("features:")
    )
    matched = timed("profiles", lambda: _matched(table, profiles))
    timed("profiles, rule engine", lambda: evaluate(table, profiles, keep=[]))
    by_lightgbm = timed("predict, LightGBM", lambda: scorer.booster_.predict(matrix, num_threads=1))
    by_compiled = timed("predict, compiled", lambda: compiled(matrix))
    if not np.array_equal(by_lightgbm, by_compiled):
        raise AssertionError("the compiled model and LightGBM disagree")
    written = out / "profile-scoring-scores.parquet"

    def output() -> None:
        batch = _output(table, by_compiled, matched, False)
        with pq.ParquetWriter(written, batch.schema) as writer:
            writer.write_batch(batch)

    timed("output + write", output)
    timed("ranks", lambda: ranks(by_compiled))
    sample = table.slice(0, min(reasons_rows, len(table)))
    c0 = time.process_time()
    texts = [format_reasons(r) for r in scorer.explain(sample, top=3)]
    figures["reasons (explain + text)"] = (time.process_time() - c0) / len(texts) * 1e6
    written.unlink()
    return figures


def _report(split: dict[str, float]) -> list[str]:
    lines = [f"{stage:40s} {cpu:7.2f} CPU-s per 1 M declarations" for stage, cpu in split.items()]
    total = sum(v for k, v in split.items() if k not in NOT_IN_TOTAL)
    lines.append(
        f"{'total, batch path (compiled)':40s} {total:7.2f} CPU-s per 1 M -> at most "
        f"{2e6 / total:,.0f} decl/s on 2 cores"
    )
    return lines


if __name__ == "__main__":  # pragma: no cover - manual runs
    model_dir = Path(sys.argv[1])
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("bench-out")
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
    explained = int(sys.argv[4]) if len(sys.argv) > 4 else 20_000
    print("\n".join(_report(stages(model_dir, folder, n, explained))))
