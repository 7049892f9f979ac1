"""Where the time of batch scoring goes: CPU seconds per 1 M declarations, stage by stage, one thread.

The stages of :func:`iprisk.targeting.score_batches` run one after the other on the same rows (the first
``rows`` of ``out/scoring-1m.parquet``, built by :mod:`benchmarks.bench_scoring`), each timed with
``time.process_time`` (CPU time of this process; the machine's load inflates wall time, far less CPU time):

- ``check``: the required columns present and not empty throughout (:meth:`CompiledFeatures.check`);
- ``features``: the compiled lookups into one float64 matrix (:meth:`CompiledFeatures.matrix`);
- ``profiles``: the active profiles each row matches (one DuckDB query);
- ``predict, LightGBM`` and ``predict, compiled``: the trees on that matrix, one thread.

Run: ``python -m benchmarks.profile_scoring MODEL_DIR [out] [rows]`` (e.g. ``bench-out/scoring-model bench-out
200000``); prints one line per stage and the rate two cores could reach if the stages shared them perfectly.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from benchmarks.bench_scoring import SMALL_FILE


def stages(model: Path, out: Path, rows: int) -> dict[str, float]:
    """CPU seconds per 1 M rows of each stage."""
    from iprisk.profiles import load_profiles
    from iprisk.targeting.batch import _matched, active_profiles
    from iprisk.targeting.compiled import CACHE_FOLDER, compiled_predictor
    from iprisk.targeting.scorer import LightGBMScorer

    scorer = LightGBMScorer.load(model)
    table = pq.read_table(out / SMALL_FILE).slice(0, rows).combine_chunks()
    profiles = active_profiles(load_profiles(out / "scoring-profiles.yaml"))
    features = scorer.builder_.compiled()
    compiled = compiled_predictor(scorer.booster_, model / CACHE_FOLDER)
    lightgbm = lambda X: scorer.booster_.predict(X, num_threads=1)  # noqa: E731
    matrix: Any = None

    def timed(work: Any) -> tuple[float, Any]:
        c0 = time.process_time()
        result = work()
        return (time.process_time() - c0) / len(table) * 1e6, result

    figures = {}
    figures["check"], _ = timed(lambda: features.check(table))
    figures["features"], matrix = timed(lambda: features.matrix(table, check=False))
    figures["profiles"], _ = timed(lambda: _matched(table, profiles))
    figures["predict, LightGBM"], by_lightgbm = timed(lambda: lightgbm(matrix))
    figures["predict, compiled"], by_compiled = timed(lambda: compiled(matrix))
    if not np.array_equal(by_lightgbm, by_compiled):
        raise AssertionError("the compiled model and LightGBM disagree")
    return figures


if __name__ == "__main__":  # pragma: no cover - manual runs
    model_dir = Path(sys.argv[1])
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("bench-out")
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
    split = stages(model_dir, folder, n)
    for stage, cpu in split.items():
        print(f"{stage:20s} {cpu:6.2f} CPU-s per 1 M declarations")
    total = sum(v for k, v in split.items() if k != "predict, LightGBM")
    print(
        f"{'total (compiled)':20s} {total:6.2f} CPU-s per 1 M -> at most {2e6 / total:,.0f} decl/s on 2 cores"
    )
