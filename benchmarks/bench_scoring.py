"""Batch scoring throughput: 10 M declarations, features + 20 active profiles + the model, on 2 threads.

1. Builds ``out/scoring-10m.parquet`` once (reused afterwards): the KCS test quarter (8,481 lines)
   replicated to 10 M rows with new declaration ids and, in every copy after the first, half the declared
   values and masses nudged by a random factor, so that about half the rows carry a value / mass never seen
   in training (the lookups then see as many distinct values as real data would; exact replicas would
   flatter them). Written in 1 M-row row groups, streamed; its first 1 M rows also go to
   ``out/scoring-1m.parquet``.
2. Fits the KCS model (the documented protocol, :func:`fit_tuned`, one thread) and saves it.
3. Each measurement runs in a fresh subprocess (its peak memory, ``VmHWM``, is its own), with wall and CPU
   time (all threads), on equal terms (same rows, same 2 threads):

   - :func:`iprisk.targeting.batch.score_parquet` over the 10 M rows, 1 M rows read at a time, with the
     compiled model (``compiled=True``, machine code cached in the model folder beforehand) and with
     LightGBM's own predict (the path before), side by side;
   - the same two on the first 1 M rows, beside the previous pandas path (string-key
     ``transform_reference``, LightGBM on the DataFrame with 2 threads, profiles through
     :func:`iprisk.profiles.evaluate`) and the *predict-alone floor*: the prebuilt 1 M-row feature matrix
     predicted by the same scheme as the batch path (65,536-row slices, 2 worker threads of one LightGBM
     thread each), with LightGBM and compiled.
4. Spark: the same scoring through ``mapInArrow`` on ``local[2]`` over the first 1 M rows (written to
   Spark's ``noop`` sink; session start-up not counted).

Run: ``.venv/bin/python -m benchmarks scoring``; needs the KCS data (``IPRISK_KCS_DATA``) else one SKIPPED
row; Spark rows are skipped when PySpark or Java is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROWS = 10_000_000
BASELINE_ROWS = 1_000_000
SPARK_ROWS = 1_000_000
PROFILES = 20
THREADS = 2
TARGET = 400_000.0
DATA_FILE = "scoring-10m.parquet"
SMALL_FILE = "scoring-1m.parquet"
MODEL_DIR = "scoring-model"


def _row(name: str, value: float | None, unit: str = "", **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "value": None if value is None else round(float(value), 1),
        "unit": unit,
        "baseline": None,
        "ratio": None,
        "target": None,
        "ok": None,
    }
    row.update(extra)
    return row


def make_data(test: pa.Table, path: Path, rows: int = ROWS, seed: int = 0) -> None:
    """``rows`` declarations from the KCS test quarter (new ids; half the values and masses perturbed)."""
    rng = np.random.default_rng(seed)
    per_group = max(1, 1_000_000 // test.num_rows)
    tmp = path.with_suffix(".tmp")
    written, copy = 0, 0
    with pq.ParquetWriter(tmp, test.schema) as writer:
        while written < rows:
            copies = []
            for _ in range(per_group):
                if written >= rows:
                    break
                t = test.slice(0, min(test.num_rows, rows - written))
                ids = pc.binary_join_element_wise(t.column("declaration_id"), f"r{copy}", "-")
                t = t.set_column(t.schema.get_field_index("declaration_id"), "declaration_id", ids)
                if copy:
                    for col in ("value", "net_mass_kg"):
                        x = t.column(col).to_numpy()
                        nudge = np.where(rng.random(len(x)) < 0.5, rng.uniform(0.9, 1.1, len(x)), 1.0)
                        t = t.set_column(t.schema.get_field_index(col), col, pa.array(np.round(x * nudge, 2)))
                copies.append(t)
                written += t.num_rows
                copy += 1
            writer.write_table(pa.concat_tables(copies), row_group_size=1_000_000)
    tmp.replace(path)


def make_profiles(test: pa.Table, n: int = PROFILES, seed: int = 1) -> list[Any]:
    """``n`` active profiles on the commonest HS headings, origins and transport modes of the data."""
    from iprisk.codes import TRANSPORT_MODES, is_country
    from iprisk.profiles import Profile

    rng = np.random.default_rng(seed)

    def common(column: pa.ChunkedArray, k: int) -> list[str]:
        counts = pc.value_counts(column).to_pylist()
        ranked = sorted((c for c in counts if c["values"]), key=lambda c: -c["counts"])
        return [str(c["values"]) for c in ranked[:k]]

    hs4 = common(pc.utf8_slice_codeunits(test.column("hs_code"), 0, 4), 30)
    origins = [c for c in common(test.column("origin_country"), 20) if is_country(c)][:12]
    modes = [m for m in common(test.column("transport_mode"), 3) if m in TRANSPORT_MODES] or ["sea"]
    out = []
    for i in range(n):
        crit: dict[str, Any] = {
            "hs_prefixes": sorted(set(rng.choice(hs4, 3).tolist())),
            "origin_countries": sorted(set(rng.choice(origins, 2).tolist())),
        }
        if i % 3 == 0:
            crit["transport_modes"] = [str(rng.choice(modes))]
        if i % 4 == 0:
            crit["value_per_kg"] = {"max": round(float(rng.uniform(5, 50)), 1)}
        if i % 5 == 0:
            crit["value"] = {"min": round(float(rng.uniform(100, 1000)), 0)}
        if i % 7 == 0:
            crit["product_categories"] = ["clothing", "shoes", "electronics"]
        out.append(
            Profile(
                id=f"SCORE-{i:02d}",
                status="active",
                title=f"benchmark profile {i}",
                owner="KR" if i % 2 else "CN",
                criteria=crit,
                risk_level=int(rng.integers(1, 6)),
                valid_from=date(2021, 1, 1),
            )
        )
    return out


# ---------------------------------------------------------------------------- child processes
def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - not Linux


def _child_fast(model: Path, data: Path, profiles: Path, out: Path, compiled: bool) -> dict[str, Any]:
    from iprisk.profiles import load_profiles
    from iprisk.targeting.batch import score_parquet
    from iprisk.targeting.compiled import CACHE_FOLDER, compiled_predictor
    from iprisk.targeting.scorer import LightGBMScorer

    scorer = LightGBMScorer.load(model)
    chosen = load_profiles(profiles)
    scorer.builder_.compiled()  # lookups built once per model load: part of loading, not of scoring
    if compiled:  # compiled once per model and cached in its folder: loading, not scoring
        compiled_predictor(scorer.booster_, model / CACHE_FOLDER)
    t0, c0 = time.perf_counter(), time.process_time()
    rows = score_parquet(model, data, out, chosen, chunk_rows=1_000_000, threads=THREADS, compiled=compiled)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"rows": rows, "seconds": wall, "cpu_seconds": cpu, "peak_rss_mb": _peak_rss_mb()}


def _child_baseline(model: Path, data: Path, profiles: Path) -> dict[str, Any]:
    from iprisk.profiles import evaluate, load_profiles
    from iprisk.targeting.scorer import LightGBMScorer

    scorer = LightGBMScorer.load(model)
    chosen = load_profiles(profiles)
    table = pq.read_table(data)
    t0, c0 = time.perf_counter(), time.process_time()
    frame = table.to_pandas()
    X = scorer.builder_.transform_reference(frame)
    scores = scorer.booster_.predict(X, num_threads=THREADS)
    flagged = evaluate(table, chosen).column("matched_profiles").to_pylist()
    matched = [";".join(ids or []) for ids in flagged]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    fast = scorer.score(table)
    return {
        "rows": len(matched),
        "seconds": wall,
        "cpu_seconds": cpu,
        "same_scores": bool(np.array_equal(scores, fast)),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child_floor(model: Path, data: Path, compiled: bool) -> dict[str, Any]:
    """LightGBM (or the compiled model) alone on a prebuilt matrix, sliced and threaded as the batch path."""
    from concurrent.futures import ThreadPoolExecutor

    from iprisk.targeting.batch import SLICE_ROWS
    from iprisk.targeting.compiled import CACHE_FOLDER, Predictor, compiled_predictor
    from iprisk.targeting.scorer import LightGBMScorer

    scorer = LightGBMScorer.load(model)
    matrix = scorer.builder_.matrix(pq.read_table(data))
    predict = (
        compiled_predictor(scorer.booster_, model / CACHE_FOLDER)
        if compiled
        else Predictor(scorer.booster_, None)
    )
    predict(matrix[:SLICE_ROWS])  # the check against LightGBM, outside the timing
    slices = [matrix[i : i + SLICE_ROWS] for i in range(0, len(matrix), SLICE_ROWS)]
    t0, c0 = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        out = np.concatenate(list(pool.map(predict, slices)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    same = bool(np.array_equal(out, scorer.booster_.predict(matrix, num_threads=THREADS)))
    return {
        "rows": len(matrix),
        "seconds": wall,
        "cpu_seconds": cpu,
        "same_scores": same,
        "kind": predict.name,
    }


def _child_spark(model: Path, data: Path, profiles: Path, rows: int, tmp: Path) -> dict[str, Any]:
    from iprisk.profiles import load_profiles
    from iprisk.spark import local_session
    from iprisk.targeting.scorer import LightGBMScorer
    from iprisk.targeting.spark import score_spark

    scorer = LightGBMScorer.load(model)
    chosen = load_profiles(profiles)
    first = pa.Table.from_batches([next(pq.ParquetFile(data).iter_batches(batch_size=rows))])
    pq.write_table(first, tmp, row_group_size=100_000)
    conf = {
        "spark.driver.memory": "3g",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
        # one task per 100,000-row row group, so that both cores get work
        "spark.sql.files.maxPartitionBytes": str(4 * 1024 * 1024),
    }
    spark = local_session(THREADS, "iprisk-bench-scoring", **conf)
    try:
        frame = spark.read.parquet(str(tmp))
        frame.count()  # file listing and JVM warm-up outside the timing
        t0 = time.perf_counter()
        score_spark(scorer, frame, chosen).write.format("noop").mode("overwrite").save()
        wall = time.perf_counter() - t0
    finally:
        spark.stop()
    return {"rows": first.num_rows, "seconds": wall}


def _spawn(kind: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_scoring", kind, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"bench_scoring {kind} child failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# ---------------------------------------------------------------------------- run
def run(out: Path, rows: int = ROWS, spark_rows: int = SPARK_ROWS) -> list[dict[str, Any]]:
    from benchmarks.bench_kcs import FILES, LABEL, load_kcs
    from iprisk.formats import read_declarations
    from iprisk.profiles import dump_profiles
    from iprisk.settings import get_settings
    from iprisk.targeting.scorer import fit_tuned

    folder = Path(get_settings().kcs_data)
    if not all((folder / f).is_file() for f in FILES.values()):
        return [_row(f"SKIPPED: KCS data not found in {folder} (set IPRISK_KCS_DATA)", None)]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    test = read_declarations(folder / FILES["test"], mapping="kcs")
    data = out / (DATA_FILE if rows == ROWS else f"scoring-{rows}.parquet")
    if not data.exists() or pq.ParquetFile(data).metadata.num_rows != rows:
        make_data(test, data, rows)
    model = out / MODEL_DIR
    final, _ = fit_tuned(load_kcs(folder / FILES["train"]), load_kcs(folder / FILES["valid"]), LABEL)
    final.save(model)
    profiles = out / "scoring-profiles.yaml"
    dump_profiles(make_profiles(test), profiles)

    small = out / SMALL_FILE
    if not small.exists() or pq.ParquetFile(small).metadata.num_rows != min(BASELINE_ROWS, rows):
        first = next(pq.ParquetFile(data).iter_batches(batch_size=min(BASELINE_ROWS, rows)))
        pq.write_table(pa.Table.from_batches([first]), small, row_group_size=1_000_000)
    scores_out = str(out / "scoring-scores.parquet")
    args = (str(model), str(data), str(profiles), scores_out)
    fast, before = _spawn("fast", *args, "compiled"), _spawn("fast", *args, "lightgbm")
    args = (str(model), str(small), str(profiles), scores_out)
    fast_1m, before_1m = _spawn("fast", *args, "compiled"), _spawn("fast", *args, "lightgbm")
    base = _spawn("baseline", str(model), str(small), str(profiles))
    floor_c = _spawn("floor", str(model), str(small), "compiled")
    floor_l = _spawn("floor", str(model), str(small), "lightgbm")

    def rate(r: dict[str, Any]) -> float:
        return float(r["rows"] / r["seconds"])

    def cpu_per_m(r: dict[str, Any]) -> float:
        return float(r["cpu_seconds"] / r["rows"] * 1e6)

    n, n1 = f"{fast['rows']:,}", f"{fast_1m['rows']:,}"
    result = [
        _row(
            f"batch scoring, {n} declarations (features + {PROFILES} profiles + compiled model, {THREADS} "
            f"threads; baseline: the same with LightGBM's predict, same rows and threads)",
            rate(fast),
            "decl/s",
            baseline=round(rate(before), 1),
            ratio=rate(fast) / rate(before),
            target=TARGET,
            ok=rate(fast) >= TARGET,
        ),
        _row(
            f"batch scoring CPU time per 1 M declarations, {n} rows, all threads "
            "(baseline: with LightGBM's predict)",
            cpu_per_m(fast),
            "cpu-s",
            baseline=round(cpu_per_m(before), 2),
            ratio=cpu_per_m(fast) / cpu_per_m(before),
        ),
        _row(
            f"batch scoring, {n1} declarations, {THREADS} threads (baseline: previous pandas path, same "
            f"rows, LightGBM on {THREADS} threads; scores equal: {base['same_scores']})",
            rate(fast_1m),
            "decl/s",
            baseline=round(rate(base), 1),
            ratio=rate(fast_1m) / rate(base),
            cpu_seconds=fast_1m["cpu_seconds"],
            baseline_cpu_seconds=base["cpu_seconds"],
        ),
        _row(
            f"batch scoring CPU per 1 M, {n1} rows (baseline: previous pandas path, same rows)",
            cpu_per_m(fast_1m),
            "cpu-s",
            baseline=round(cpu_per_m(base), 2),
            ratio=cpu_per_m(fast_1m) / cpu_per_m(base),
        ),
        _row(
            f"predict-alone floor, compiled model on a prebuilt {n1}-row matrix, same slices and "
            f"{THREADS} worker threads (baseline: LightGBM's predict the same way; scores equal: "
            f"{floor_c['same_scores']})",
            rate(floor_c),
            "decl/s",
            baseline=round(rate(floor_l), 1),
            ratio=rate(floor_c) / rate(floor_l),
            cpu_seconds=floor_c["cpu_seconds"],
            baseline_cpu_seconds=floor_l["cpu_seconds"],
        ),
        _row(
            f"whole batch path vs its predict-alone floor, {n1} rows, compiled (baseline: floor)",
            rate(fast_1m),
            "decl/s",
            baseline=round(rate(floor_c), 1),
            ratio=rate(fast_1m) / rate(floor_c),
        ),
        _row(
            f"batch scoring with LightGBM's predict, {n1} rows (the path before; baseline: its floor)",
            rate(before_1m),
            "decl/s",
            baseline=round(rate(floor_l), 1),
            ratio=rate(before_1m) / rate(floor_l),
        ),
        _row(f"batch scoring peak RSS ({n} rows, 1 M per chunk)", fast["peak_rss_mb"], "MB"),
        _row(f"previous pandas path peak RSS ({base['rows']:,} rows at once)", base["peak_rss_mb"], "MB"),
    ]
    if spark_rows and shutil.which("java") and _has_pyspark():
        spark = _spawn(
            "spark", str(model), str(data), str(profiles), str(spark_rows), str(out / "scoring-spark.parquet")
        )
        srate = spark["rows"] / spark["seconds"]
        result.append(
            _row(
                f"Spark scoring (mapInArrow, local[{THREADS}]), {spark['rows']:,} declarations "
                "(baseline: the batch path with LightGBM's predict, same 1 M rows)",
                srate,
                "decl/s",
                baseline=round(rate(before_1m), 1),
                ratio=srate / rate(before_1m),
            )
        )
    else:
        result.append(_row("SKIPPED: Spark scoring (PySpark or Java missing)", None))
    (out / "scoring-figures.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def _has_pyspark() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyspark") is not None


def _main(argv: list[str]) -> None:  # pragma: no cover - child processes and manual runs
    kind, args = argv[0], argv[1:]
    if kind == "fast":
        result = _child_fast(
            Path(args[0]), Path(args[1]), Path(args[2]), Path(args[3]), args[4] == "compiled"
        )
        print(json.dumps(result))
    elif kind == "baseline":
        print(json.dumps(_child_baseline(Path(args[0]), Path(args[1]), Path(args[2]))))
    elif kind == "floor":
        print(json.dumps(_child_floor(Path(args[0]), Path(args[1]), args[2] == "compiled")))
    elif kind == "spark":
        result = _child_spark(Path(args[0]), Path(args[1]), Path(args[2]), int(args[3]), Path(args[4]))
        print(json.dumps(result))
    else:
        for r in run(Path(kind)):
            print(r)


if __name__ == "__main__":  # pragma: no cover
    _main(sys.argv[1:] or ["bench-out"])
