"""Tree settings on one world and seed, the features built once (the fastest form of the Bayes benchmark).

The main protocol (:mod:`benchmarks.bench_targeting_sim`) fits every strategy from scratch; most of a fit is
the feature builder (cross-fitted risk features), which does not depend on the trees' settings. Here the
features of one world and seed are built once, then LightGBM is trained with each setting of
:data:`VARIANTS` on the same matrix (the very training :class:`iprisk.targeting.LightGBMScorer` does) and
every 2017 ranking is measured against the Bayes selection.

Run: ``python -m benchmarks.targeting_trees [out] [world-seed,...] [variant prefix;...]`` (e.g. ``bench-out
rare-1,calibrated-1``); appends to ``out/targeting-trees.csv`` and prints the markdown table.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.targeting_rolling import markdown as rolling_markdown
from benchmarks.targeting_worlds import WORLDS, load_world, world_folder

AT = (1.0, 2.0, 5.0, 10.0)
LABEL = "true_infringement"
TREES = 200

#: LightGBMScorer parameters of each variant (the rest as the scorer's defaults, 200 trees); the figures in
#: docs/targeting.md were measured when the default was 31 leaves of >= 20 rows: "7 leaves, >= 200 rows a
#: leaf" there is the default now
VARIANTS: dict[str, dict[str, Any]] = {
    "default (7 leaves, >= 200 rows a leaf)": {},
    "31 leaves, >= 20 rows a leaf (the default before)": {"num_leaves": 31, "min_child_samples": 20},
    "15 leaves, >= 100 rows a leaf": {"num_leaves": 15, "min_child_samples": 100},
    "15 leaves, >= 100 rows, L2 10": {"num_leaves": 15, "min_child_samples": 100, "reg_lambda": 10.0},
    "15 leaves, >= 300 rows a leaf": {"num_leaves": 15, "min_child_samples": 300},
    "7 leaves, >= 500 rows a leaf": {"num_leaves": 7, "min_child_samples": 500},
    "7 leaves, >= 200 rows, 400 trees": {"num_leaves": 7, "min_child_samples": 200, "n_estimators": 400},
    "4 leaves, >= 400 rows a leaf": {"num_leaves": 4, "min_child_samples": 400},
    "15 leaves, >= 100 rows, 400 trees at 0.025": {
        "num_leaves": 15,
        "min_child_samples": 100,
        "n_estimators": 400,
        "learning_rate": 0.025,
    },
}


def evaluate_world(out: Path, name: str, seed: int, only: tuple[str, ...] = ()) -> pd.DataFrame:
    """Bayes table of every variant on one world and seed."""
    import lightgbm as lgb

    from iprisk.evaluation import bayes_table
    from iprisk.targeting import FeatureBuilder, LightGBMScorer

    spec = next(w for w in WORLDS if w.name == name)
    train, test = load_world(world_folder(out, spec, seed))
    t0 = time.perf_counter()
    y = train[LABEL].astype(int).to_numpy()
    builder = FeatureBuilder()
    X = builder.fit_transform(train, y)
    Xt = builder.matrix(test)
    print(f"  {name} seed {seed}: features {time.perf_counter() - t0:.0f} s", flush=True)
    scores = {}
    for variant, params in VARIANTS.items():
        if only and not variant.startswith(only):
            continue
        scorer = LightGBMScorer(**{"n_estimators": TREES, "seed": seed, **params})
        booster = lgb.train(scorer._lgb_params(), lgb.Dataset(X, y), scorer.n_estimators)
        scores[variant] = np.asarray(booster.predict(Xt))
        print(f"  {name} seed {seed}: {variant} {time.perf_counter() - t0:.0f} s", flush=True)
    table = bayes_table(test["true_probability"].to_numpy(), scores, at=AT)
    return table.assign(world=name, seed=seed)


def markdown(table: pd.DataFrame) -> str:
    return rolling_markdown(table, column="trees")


if __name__ == "__main__":  # pragma: no cover - manual runs
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench-out")
    chosen = sys.argv[2].split(",") if len(sys.argv) > 2 else ["rare-1"]
    prefixes = tuple(sys.argv[3].split(";")) if len(sys.argv) > 3 else ()
    csv = folder / "targeting-trees.csv"
    for item in chosen:
        world, _, seed = item.rpartition("-")
        table = evaluate_world(folder, world, int(seed), prefixes)
        previous = pd.read_csv(csv) if csv.exists() else None
        pd.concat([previous, table], ignore_index=True).to_csv(csv, index=False)
        print(markdown(table), flush=True)
