"""Batch scoring throughput, against today's code path on equal terms: same rows, same threads, same run.

1. Builds ``out/scoring-10m.parquet`` once (reused afterwards): the KCS test quarter (8,481 lines)
   replicated to 10 M rows with new declaration ids and, in every copy after the first, half the declared
   values and masses nudged by a random factor, so that about half the rows carry a value / mass never seen
   in training (the lookups then see as many distinct values as real data would; exact replicas would
   flatter them). Written in 1 M-row row groups, streamed. ``rows`` (argument) takes a smaller file.
2. Fits the KCS model (the documented protocol, :func:`fit_tuned`, one thread), saves it, writes 20 active
   profiles on the commonest headings, origins and modes.
3. Every measurement runs in a fresh subprocess (its peak memory, ``VmHWM``, is its own) on the *same rows*
   and the *same* :data:`THREADS` threads, with wall time and CPU time (all threads). The model is loaded,
   its lookups built and its machine code loaded before the clock starts (the load is its own row): what
   is timed is the code's own :func:`~iprisk.targeting.batch.score_parquet`, 1 M rows read at a time
   (for the baseline, whose ``score_parquet`` cannot take a preloaded model's machine code, its very loop
   over :func:`~iprisk.targeting.batch.score_batches`).

   - **baseline**: the code of :data:`BASELINE_COMMIT` (main when this work started), extracted with
     ``git archive`` and run by the same child code; once with the compiled model, once with LightGBM's
     predict. Its output must equal the new path's bit for bit (ids, scores, priorities, profiles).
   - **predict-alone floor**: the trees alone on the same rows, in the same 65,536-row slices on the same
     pool of :data:`THREADS` worker threads as the batch path (each chunk's matrix built outside the
     clock): what the model costs when everything else is free.
4. Spark: the same scoring through ``mapInArrow`` on ``local[2]`` over the same rows (written to Spark's
   ``noop`` sink; session start-up not counted), against the batch path with LightGBM (Spark does not
   compile).

``ok`` of the headline row: at least :data:`TARGET` declarations/s *and* output identical to the baseline.
Run: ``.venv/bin/python -m benchmarks scoring`` (10 M rows; needs the KCS data, ``IPRISK_KCS_DATA``, else
one SKIPPED row; Spark rows are skipped when PySpark or Java is missing) or
``python -m benchmarks.bench_scoring OUT ROWS`` for a smaller run.
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
#: today's code path: main when this work started (its batch scoring is the baseline of every row)
BASELINE_COMMIT = "f0f55cbaac8b69116f04aef43bffe80b13a1104c"
CHUNK_ROWS = 1_000_000
PROFILES = 20
THREADS = 2
TARGET = 400_000.0
DATA_FILE = "scoring-10m.parquet"
SMALL_FILE = "scoring-1m.parquet"
MODEL_DIR = "scoring-model"
MODES = ("compiled", "lightgbm")


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


def _loaded(model: Path, compiled: bool) -> tuple[Any, float]:
    """The scorer with its lookups built and its machine code cached (compiled here if need be); load CPU-s.

    Only the public API present in both the baseline's code and today's is used.
    """
    from iprisk.targeting.compiled import CACHE_FOLDER, compiled_predictor
    from iprisk.targeting.scorer import LightGBMScorer

    c0 = time.process_time()
    scorer = LightGBMScorer.load(model)
    scorer.builder_.compiled()
    load = time.process_time() - c0
    if compiled:  # compiling is once per model and machine: cached in the model folder, outside the clock
        compiled_predictor(scorer.booster_, model / CACHE_FOLDER)
    return scorer, load


def _child_batch(model: Path, data: Path, profiles: Path, out: Path, compiled: bool) -> dict[str, Any]:
    """The code's own ``score_parquet`` on the preloaded model; the baseline's lacks ``compile_cache`` (with a
    scorer it would compile again, unclocked work we do not want), so there its very loop runs instead."""
    import inspect

    from iprisk.profiles import load_profiles
    from iprisk.targeting.batch import OUTPUT_SCHEMA, needed_columns, score_batches, score_parquet
    from iprisk.targeting.compiled import CACHE_FOLDER

    scorer, load = _loaded(model, compiled)
    chosen = load_profiles(profiles)
    cache = model / CACHE_FOLDER
    t0, c0 = time.perf_counter(), time.process_time()
    if "compile_cache" in inspect.signature(score_parquet).parameters:
        kwargs = {"threads": THREADS, "compiled": compiled, "compile_cache": cache, "chunk_rows": CHUNK_ROWS}
        rows = score_parquet(scorer, data, out, chosen, **kwargs)
    else:  # f0f55cb's score_parquet, line for line, with the model preloaded
        source = pq.ParquetFile(data)
        columns = [c for c in needed_columns(scorer, chosen) if c in source.schema_arrow.names]
        rows = 0
        with pq.ParquetWriter(out, OUTPUT_SCHEMA) as writer:
            batches = source.iter_batches(batch_size=CHUNK_ROWS, columns=columns)
            kwargs = {"threads": THREADS, "compiled": compiled, "compile_cache": cache}
            for scored in score_batches(scorer, batches, chosen, **kwargs):
                writer.write_batch(scored)
                rows += scored.num_rows
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "rows": rows,
        "seconds": wall,
        "cpu_seconds": cpu,
        "load_cpu_seconds": load,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child_floor(model: Path, data: Path, compiled: bool) -> dict[str, Any]:
    """The trees alone on every row, sliced and threaded as the batch path; each chunk's matrix unclocked."""
    from concurrent.futures import ThreadPoolExecutor

    from iprisk.targeting.batch import SLICE_ROWS
    from iprisk.targeting.compiled import CACHE_FOLDER, Predictor, compiled_predictor

    scorer, _ = _loaded(model, compiled)
    features = scorer.builder_.compiled()
    predict = (
        compiled_predictor(scorer.booster_, model / CACHE_FOLDER)
        if compiled
        else Predictor(scorer.booster_, None)
    )
    wall = cpu = 0.0
    rows = 0
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for batch in pq.ParquetFile(data).iter_batches(batch_size=CHUNK_ROWS):
            matrix = features.matrix(pa.Table.from_batches([batch]), check=False)
            if not rows:
                predict(matrix[:SLICE_ROWS])  # the compiled model's check against LightGBM, unclocked
            slices = [matrix[i : i + SLICE_ROWS] for i in range(0, len(matrix), SLICE_ROWS)]
            t0, c0 = time.perf_counter(), time.process_time()
            list(pool.map(predict, slices))
            wall, cpu = wall + time.perf_counter() - t0, cpu + time.process_time() - c0
            rows += len(matrix)
    return {"rows": rows, "seconds": wall, "cpu_seconds": cpu, "kind": predict.name}


def _child_spark(model: Path, data: Path, profiles: Path) -> dict[str, Any]:
    from iprisk.profiles import load_profiles
    from iprisk.spark import local_session
    from iprisk.targeting.scorer import LightGBMScorer
    from iprisk.targeting.spark import score_spark

    scorer = LightGBMScorer.load(model)
    chosen = load_profiles(profiles)
    conf = {
        "spark.driver.memory": "3g",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
        # several tasks per 1 M-row row group, so that both cores get work
        "spark.sql.files.maxPartitionBytes": str(4 * 1024 * 1024),
    }
    spark = local_session(THREADS, "iprisk-bench-scoring", **conf)
    try:
        frame = spark.read.parquet(str(data))
        rows = frame.count()  # file listing and JVM warm-up outside the timing
        t0 = time.perf_counter()
        score_spark(scorer, frame, chosen).write.format("noop").mode("overwrite").save()
        wall = time.perf_counter() - t0
    finally:
        spark.stop()
    return {"rows": rows, "seconds": wall}


def _baseline_source(out: Path) -> Path | None:
    """``src`` of :data:`BASELINE_COMMIT`, extracted once into ``out``; None without git or the commit."""
    folder = out / f"scoring-baseline-{BASELINE_COMMIT[:10]}"
    if (folder / "src" / "iprisk").is_dir():
        return folder / "src"
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", BASELINE_COMMIT, "src"], capture_output=True, check=False
    )
    if archive.returncode:
        return None
    tmp = folder.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
    tmp.replace(folder)
    return folder / "src"


def _spawn(kind: str, *args: str, source: Path | None = None) -> dict[str, Any]:
    """Run one measurement in a fresh process; ``source``: the ``src`` folder of the baseline's code."""
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    if source is not None:  # ahead of the installed package on the path
        env["PYTHONPATH"] = str(source)
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


def same_output(a: Path, b: Path) -> bool:
    """Two score files hold the very same rows: ids, items and profiles equal, scores and priorities to the
    bit."""
    x, y = pq.read_table(a), pq.read_table(b)
    if x.schema != y.schema or x.num_rows != y.num_rows:
        return False
    for name in x.column_names:
        if name in ("score", "priority"):
            bits_x = x.column(name).to_numpy().view("uint64")
            if not np.array_equal(bits_x, y.column(name).to_numpy().view("uint64")):
                return False
        elif not x.column(name).equals(y.column(name)):
            return False
    return True


# ---------------------------------------------------------------------------- run
def _rate(r: dict[str, Any]) -> float:
    return float(r["rows"] / r["seconds"])


def _cpu_per_m(r: dict[str, Any]) -> float:
    return float(r["cpu_seconds"] / r["rows"] * 1e6)


def run(out: Path, rows: int = ROWS, spark: bool = True) -> list[dict[str, Any]]:
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
    data = out / (
        DATA_FILE if rows == ROWS else SMALL_FILE if rows == 1_000_000 else f"scoring-{rows}.parquet"
    )
    if not data.exists() or pq.ParquetFile(data).metadata.num_rows != rows:
        make_data(test, data, rows)
    model = out / MODEL_DIR
    final, _ = fit_tuned(load_kcs(folder / FILES["train"]), load_kcs(folder / FILES["valid"]), LABEL)
    final.save(model)
    profiles = out / "scoring-profiles.yaml"
    dump_profiles(make_profiles(test), profiles)
    baseline_src = _baseline_source(out)
    if baseline_src is None:
        return [
            _row(
                f"FAILED: the baseline's code ({BASELINE_COMMIT[:10]}) not found by git archive",
                None,
                ok=False,
            )
        ]

    new, old, floor = {}, {}, {}
    for mode in MODES:
        scores = {who: out / f"scoring-scores-{mode}-{who}.parquet" for who in ("new", "baseline")}
        args = (str(model), str(data), str(profiles))
        new[mode] = _spawn("batch", *args, str(scores["new"]), mode)
        old[mode] = _spawn("batch", *args, str(scores["baseline"]), mode, source=baseline_src)
        new[mode]["same"] = same_output(scores["new"], scores["baseline"])
        floor[mode] = _spawn("floor", str(model), str(data), mode)
    n = f"{rows:,}"
    c, lg = new["compiled"], new["lightgbm"]
    terms = f"{n} declarations, {THREADS} threads, {PROFILES} profiles"
    result = [
        _row(
            f"batch scoring, compiled model, {terms} (baseline: {BASELINE_COMMIT[:7]}'s code, same rows, "
            f"threads and model; output bit-identical: {c['same']})",
            _rate(c),
            "decl/s",
            baseline=round(_rate(old["compiled"]), 1),
            ratio=_rate(c) / _rate(old["compiled"]),
            target=TARGET,
            ok=_rate(c) >= TARGET and c["same"],
            cpu_seconds=c["cpu_seconds"],
            baseline_cpu_seconds=old["compiled"]["cpu_seconds"],
        ),
        _row(
            f"batch scoring CPU-s per 1 M declarations, compiled model, all threads (baseline: "
            f"{BASELINE_COMMIT[:7]}'s code)",
            _cpu_per_m(c),
            "cpu-s",
            baseline=round(_cpu_per_m(old["compiled"]), 2),
            ratio=_cpu_per_m(c) / _cpu_per_m(old["compiled"]),
        ),
        _row(
            f"batch scoring, LightGBM's predict, {terms} (baseline: {BASELINE_COMMIT[:7]}'s code; output "
            f"bit-identical: {lg['same']})",
            _rate(lg),
            "decl/s",
            baseline=round(_rate(old["lightgbm"]), 1),
            ratio=_rate(lg) / _rate(old["lightgbm"]),
            ok=lg["same"],
            cpu_seconds=lg["cpu_seconds"],
            baseline_cpu_seconds=old["lightgbm"]["cpu_seconds"],
        ),
        _row(
            f"batch scoring CPU-s per 1 M declarations, LightGBM's predict (baseline: "
            f"{BASELINE_COMMIT[:7]}'s code)",
            _cpu_per_m(lg),
            "cpu-s",
            baseline=round(_cpu_per_m(old["lightgbm"]), 2),
            ratio=_cpu_per_m(lg) / _cpu_per_m(old["lightgbm"]),
        ),
    ]
    for mode in MODES:
        f = floor[mode]
        result.append(
            _row(
                f"predict-alone floor, {f['kind']}, {n} rows in the batch path's slices on {THREADS} worker "
                f"threads (CPU-s per 1 M: {_cpu_per_m(f):.2f}; baseline: the whole batch path, same model)",
                _rate(f),
                "decl/s",
                baseline=round(_rate(new[mode]), 1),
                ratio=_rate(f) / _rate(new[mode]),
                cpu_seconds=f["cpu_seconds"],
            )
        )
    result += [
        _row(
            f"model load + lookups, CPU-s (baseline: {BASELINE_COMMIT[:7]}'s code)",
            c["load_cpu_seconds"],
            "cpu-s",
            baseline=round(old["compiled"]["load_cpu_seconds"], 2),
            ratio=c["load_cpu_seconds"] / old["compiled"]["load_cpu_seconds"],
        ),
        _row(
            f"batch scoring peak RSS, compiled ({n} rows, {CHUNK_ROWS:,} per chunk; baseline: "
            f"{BASELINE_COMMIT[:7]}'s code)",
            c["peak_rss_mb"],
            "MB",
            baseline=round(old["compiled"]["peak_rss_mb"], 1),
            ratio=c["peak_rss_mb"] / old["compiled"]["peak_rss_mb"],
        ),
    ]
    if spark and shutil.which("java") and _has_pyspark():
        sp = _spawn("spark", str(model), str(data), str(profiles))
        result.append(
            _row(
                f"Spark scoring (mapInArrow, local[{THREADS}]), {sp['rows']:,} declarations "
                "(baseline: the batch path with LightGBM's predict, same rows)",
                _rate(sp),
                "decl/s",
                baseline=round(_rate(lg), 1),
                ratio=_rate(sp) / _rate(lg),
            )
        )
    else:
        result.append(_row("SKIPPED: Spark scoring (PySpark or Java missing, or not asked)", None))
    (out / "scoring-figures.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def _has_pyspark() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyspark") is not None


def _main(argv: list[str]) -> None:  # pragma: no cover - child processes and manual runs
    kind, args = argv[0], argv[1:]
    if kind == "batch":
        result = _child_batch(
            Path(args[0]), Path(args[1]), Path(args[2]), Path(args[3]), args[4] == "compiled"
        )
    elif kind == "floor":
        result = _child_floor(Path(args[0]), Path(args[1]), args[2] == "compiled")
    elif kind == "spark":
        result = _child_spark(Path(args[0]), Path(args[1]), Path(args[2]))
    else:
        rows = int(args[0]) if args else ROWS
        for r in run(Path(kind), rows, spark=len(args) < 2 or args[1] != "nospark"):
            print(r)
        return
    print(json.dumps(result))


if __name__ == "__main__":  # pragma: no cover
    _main(sys.argv[1:] or ["bench-out"])
