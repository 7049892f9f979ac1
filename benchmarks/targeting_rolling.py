"""Quarterly refits against one fit: does adding the latest quarters' labels move the fraction of Bayes?

The main protocol (:mod:`benchmarks.bench_targeting_sim`) fits once on 2015-2016 and ranks all of 2017. An
administration that exchanges statistics every quarter can refit every quarter: here each 2017 quarter is
scored by a model fitted on every quarter before it (2015Q1 up to the previous quarter, labels being the
simulator's truth as in the main protocol). The 2017 scores of the four models are ranked together (the
same year-wide top k % as the main table) and measured against the true probabilities, beside the single
fit on 2015-2016. What it can add: traders first seen in 2017, the trend of the postal rate, and the new
modus operandi planted in 2017Q1 (hidden consignments at probability 1, which no fit on 2015-2016 can know).

Run: ``python -m benchmarks.targeting_rolling [out] [world-seed,...]`` (e.g. ``bench-out calibrated-1``);
writes ``out/targeting-rolling.csv`` and prints the markdown table.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.targeting_worlds import WORLDS, load_world, world_folder

AT = (1.0, 2.0, 5.0, 10.0)
LABEL = "true_infringement"
TREES = 200


def evaluate_world(out: Path, name: str, seed: int) -> pd.DataFrame:
    """Bayes table of the single fit and of the quarterly refits on one world and seed."""
    from iprisk.evaluation import bayes_table
    from iprisk.targeting import LightGBMScorer

    spec = next(w for w in WORLDS if w.name == name)
    train, test = load_world(world_folder(out, spec, seed))
    every = pd.concat([train, test], ignore_index=True)
    quarter = pd.PeriodIndex(pd.to_datetime(every["date"]), freq="Q")
    test_quarter = quarter[len(train) :]

    def fitted(rows: pd.DataFrame) -> LightGBMScorer:
        return LightGBMScorer(n_estimators=TREES, seed=seed).fit(rows, rows[LABEL].astype(int))

    t0 = time.perf_counter()
    single = np.asarray(fitted(train).score(test))
    rolling = np.empty(len(test))
    for q in sorted(set(test_quarter)):
        inside = np.asarray(test_quarter == q)
        rolling[inside] = fitted(every[np.asarray(quarter < q)]).score(test[inside])
        print(f"  rolling {name} seed {seed} {q}: {time.perf_counter() - t0:.0f} s", flush=True)
    table = bayes_table(
        test["true_probability"].to_numpy(),
        {"one fit on 2015-2016": single, "refit every quarter": rolling},
        at=AT,
    )
    return table.assign(world=name, seed=seed)


def markdown(table: pd.DataFrame, column: str = "model") -> str:
    """Fractions of Bayes per world, seed and ``strategy`` (headed ``column``) at each of :data:`AT`."""
    lines = [f"| world | seed | {column} | " + " | ".join(f"@{k:g} %" for k in AT) + " |"]
    lines.append("|---|---|---|" + "---|" * len(AT))
    for (world, seed, strategy), g in table.groupby(["world", "seed", "strategy"], sort=False):
        frac = g.set_index("k_pct")["fraction_of_bayes"]
        lines.append(f"| {world} | {seed} | {strategy} | " + " | ".join(f"{frac[k]:.3f}" for k in AT) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - manual runs
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench-out")
    chosen = sys.argv[2].split(",") if len(sys.argv) > 2 else ["calibrated-1"]
    tables = []
    for item in chosen:
        world, _, seed = item.rpartition("-")
        tables.append(evaluate_world(folder, world, int(seed)))
        result = pd.concat(tables, ignore_index=True)
        result.to_csv(folder / "targeting-rolling.csv", index=False)
    print(markdown(result))
