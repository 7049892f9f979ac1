"""Targeting on simulated worlds, measured against the Bayes-optimal selection (issue 15, section 1).

For every world of :data:`benchmarks.targeting_worlds.WORLDS` and seed of :data:`SEEDS`: simulate
2015Q1-2017Q4, mine profiles and fit the score on 2015-2016 (labels: the simulator's truth, a fully audited
history), and measure the 2017 declarations against ``true_probability`` (ranking by it is the Bayes
selection). Per world, the fraction of Bayes precision at 1, 2, 5 and 10 % of:

- ``profiles``: the mined profiles alone (risk level, random within a level);
- ``model``: the learned score (:class:`iprisk.targeting.LightGBMScorer`, default features);
- ``model+profiles``: mandatory profile hits first, then the score
  (:func:`iprisk.evaluation.strategy_priorities`);
- ``previous model``: the score without the empirical-Bayes risk features (``risk=False``), the baseline.

Rows give the mean over seeds with the spread (standard deviation, min and max) beside it; the target is 0.90
of Bayes at 5 and 10 % for the model in every world. Calibration: the Brier score of the model (against the
true probabilities) beside that of the previous model, and a reliability chart
(``out/targeting-reliability.png``). The per-seed table goes to ``out/targeting-bayes.csv``. Out-of-time
calibration (isotonic and Platt on 2016H2, before / after on 2017): :mod:`benchmarks.targeting_calibration`.

Ablation (first seed only, every world): the model without the party multipliers of the risk features, and
without the party histories, beside the default and the model without risk features; and the ceiling of any
model that learns traders from their history, :func:`benchmarks.targeting_worlds.trader_history_oracle`
(``out/targeting-ablation.csv``, rows ``ablation: ...``).

Run alone: ``python -m benchmarks.bench_targeting_sim [out] [seeds]`` (e.g. ``bench-out 1,2``), or only the
ablation (reading the first run's per-seed table): ``python -m benchmarks.bench_targeting_sim out ablation
[world,...] [variant prefix,...]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import targeting_calibration
from benchmarks.targeting_worlds import (
    TRAIN_UNTIL,
    WORLDS,
    WorldSpec,
    load_world,
    trader_history_oracle,
    world_folder,
)

SEEDS = (1, 2, 3)
AT = (1.0, 2.0, 5.0, 10.0)
TARGET = 0.90
TARGET_AT = (5.0, 10.0)
LABEL = "true_infringement"
TREES = 200


def _scores(
    train: pd.DataFrame, test: pd.DataFrame, seed: int, trees: dict[str, Any] | None = None, **features: Any
) -> np.ndarray:
    """The 2017 scores of a model fitted on ``train`` (``trees``: other LightGBM parameters)."""
    from iprisk.targeting import LightGBMScorer

    scorer = LightGBMScorer(n_estimators=TREES, seed=seed, features=features or None, **(trees or {}))
    return np.asarray(scorer.fit(train, train[LABEL].astype(int)).score(test))


def evaluate_world(out: Path, spec: WorldSpec, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The Bayes table of one world and seed, and its calibration figures and reliability bins."""
    from iprisk.evaluation import bayes_table, brier_score, reliability, strategy_priorities
    from iprisk.profiles import evaluate, mine_profiles

    train, test = load_world(world_folder(out, spec, seed))
    t0 = time.perf_counter()
    frame = pd.concat([train, test], ignore_index=True)
    profiles = mine_profiles(frame, train_until=TRAIN_UNTIL, label=LABEL, max_profiles=8, owner="EU")
    matches = evaluate(test, profiles, only_active=False, check_validity=False).to_pandas()
    model = _scores(train, test, seed)
    previous = _scores(train, test, seed, risk=False)
    priorities = strategy_priorities(
        model, matches["max_risk_level"].to_numpy(), matches["mandatory"].to_numpy(), seed=seed
    )
    priorities = {k: v for k, v in priorities.items() if k != "random"} | {"previous model": previous}
    truth = test["true_probability"].to_numpy()
    table = bayes_table(truth, priorities, at=AT, labels=test[LABEL].astype(int).to_numpy())
    table.insert(0, "seed", seed)
    table.insert(0, "world", spec.name)
    calibration = {
        "world": spec.name,
        "seed": seed,
        "rate": float(test[LABEL].mean()),
        "test_rows": len(test),
        "seconds": time.perf_counter() - t0,
        "brier_model": brier_score(truth, model),
        "brier_previous": brier_score(truth, previous),
        "brier_labels_model": brier_score(test[LABEL].astype(float), model),
        "brier_labels_bayes": brier_score(test[LABEL].astype(float), truth),
        "bins": reliability(truth, model, bins=10).assign(world=spec.name, seed=seed),
    }
    return table, calibration


CEILING = "trader-history oracle (ceiling)"
#: feature-builder options of each ablation variant (the default and "previous model" come from the main run)
ABLATION: dict[str, dict[str, Any]] = {
    "without party multipliers": {"risk_parties": ()},
    "without party histories": {"history": ()},
}


#: tree settings tried against the default (7 leaves, >= 200 rows a leaf; the same features); more in
#: :mod:`benchmarks.targeting_trees`, which builds the features once
TREE_VARIANTS: dict[str, dict[str, Any]] = {
    "larger trees (31 leaves, >= 20 rows a leaf: the default before)": {
        "num_leaves": 31,
        "min_child_samples": 20,
    },
}


def ablation(out: Path, seed: int, worlds: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> pd.DataFrame:
    """Fractions of Bayes of each :data:`ABLATION` and :data:`TREE_VARIANTS` variant plus the main run's
    default and previous model (``worlds``: their names, default all; ``only``: variants whose name starts
    with one of these, default all, the ceiling included)."""
    from iprisk.evaluation import bayes_table

    def chosen(name: str) -> bool:
        return not only or name.startswith(only)

    parts = []
    if (out / "targeting-bayes.csv").exists():
        main = pd.read_csv(out / "targeting-bayes.csv")
        main = main[(main.seed == seed) & main.strategy.isin(["model", "previous model"])]
        parts.append(
            main.replace({"strategy": {"model": "default", "previous model": "without risk features"}})
        )
    for spec in WORLDS:
        if worlds and spec.name not in worlds:
            continue
        train, test = load_world(world_folder(out, spec, seed))
        variants = {name: _scores(train, test, seed, **opt) for name, opt in ABLATION.items() if chosen(name)}
        variants |= {
            name: _scores(train, test, seed, opt) for name, opt in TREE_VARIANTS.items() if chosen(name)
        }
        if chosen(CEILING):
            variants[CEILING] = trader_history_oracle(spec, train, test)
        table = bayes_table(test["true_probability"].to_numpy(), variants, at=AT)
        parts.append(table.assign(world=spec.name, seed=seed))
    every = pd.concat(parts, ignore_index=True)
    every.to_csv(out / "targeting-ablation.csv", index=False)
    return every


def ablation_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    default = table[table.strategy == "default"].set_index(["world", "k_pct"])["fraction_of_bayes"]
    rows = []
    for r in table[table.strategy != "default"].itertuples():
        base = float(default.get((r.world, r.k_pct), float("nan")))
        rows.append(
            {
                "name": f"ablation, {r.world}: {r.strategy}, fraction of Bayes @{r.k_pct:g}% "
                f"(seed {r.seed}; baseline: default features)",
                "value": round(float(r.fraction_of_bayes), 4),
                "unit": "of Bayes",
                "baseline": round(base, 4),
                "ratio": float(r.fraction_of_bayes) / base if base else None,
                "target": None,
                "ok": None,
            }
        )
    return rows


def reliability_chart(bins: pd.DataFrame, path: Path) -> None:
    """Mean score against mean true probability per score decile, one line per world (log scales)."""
    import altair as alt

    data = bins.groupby(["world", "bin"], as_index=False)[["mean_score", "observed"]].mean()
    top = max(float(data[["mean_score", "observed"]].max().max()), 1e-3)
    diagonal = pd.DataFrame({"x": [1e-5, top], "y": [1e-5, top]})
    lines = (
        alt.Chart(data, title="Reliability of the learned score on simulated worlds (2017, score deciles)")
        .mark_line(point=True)
        .encode(
            x=alt.X("mean_score:Q", title="mean score", scale=alt.Scale(type="log")),
            y=alt.Y("observed:Q", title="mean true probability", scale=alt.Scale(type="log")),
            color=alt.Color("world:N", title="world"),
        )
    )
    ideal = alt.Chart(diagonal).mark_line(strokeDash=[4, 4], color="gray").encode(x="x:Q", y="y:Q")
    (ideal + lines).properties(width=520, height=380).save(str(path))


def summarise(tables: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation, min and max over seeds of every fraction, per world x strategy x k."""
    grouped = tables.groupby(["world", "strategy", "k_pct"], sort=False)["fraction_of_bayes"]
    return grouped.agg(["mean", "std", "min", "max", "count"]).reset_index()


def rows_of(summary: pd.DataFrame, calibrations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    base = summary[summary.strategy == "previous model"].set_index(["world", "k_pct"])["mean"]
    for r in summary.itertuples():
        if r.strategy == "previous model":
            continue
        targeted = r.strategy == "model" and r.k_pct in TARGET_AT
        previous = float(base.loc[(r.world, r.k_pct)])
        rows.append(
            {
                "name": f"{r.world}: {r.strategy}, fraction of Bayes precision @{r.k_pct:g}% "
                f"(mean of {r.count} seeds; baseline: model without risk features)",
                "value": round(float(r.mean), 4),
                "unit": "of Bayes",
                "baseline": round(previous, 4),
                "ratio": float(r.mean) / previous if previous else None,
                "target": TARGET if targeted else None,
                "ok": bool(r.mean >= TARGET) if targeted else None,
                "sd": round(float(r.std), 4) if r.count > 1 else None,
                "min": round(float(r.min), 4),
                "max": round(float(r.max), 4),
            }
        )
    cal = pd.DataFrame([{k: v for k, v in c.items() if k != "bins"} for c in calibrations])
    for world, g in cal.groupby("world", sort=False):
        rows.append(
            {
                "name": f"{world}: Brier score of the model against the true probabilities "
                f"(baseline: model without risk features; test hit rate {g['rate'].mean():.2%})",
                "value": float(g["brier_model"].mean()),
                "unit": "",
                "baseline": float(g["brier_previous"].mean()),
                "ratio": float(g["brier_model"].mean() / g["brier_previous"].mean()),
                "target": None,
                "ok": None,
            }
        )
    return rows


def run(out: Path, seeds: tuple[int, ...] = SEEDS) -> list[dict[str, Any]]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables, calibrations = [], []
    for spec in WORLDS:
        for seed in seeds:
            table, calibration = evaluate_world(out, spec, seed)
            tables.append(table)
            calibrations.append(calibration)
            # written as it goes: a long run stopped half-way keeps the worlds it finished
            pd.concat(tables, ignore_index=True).to_csv(out / "targeting-bayes-partial.csv", index=False)
            print(f"  {spec.name} seed {seed}: {calibration['seconds']:.0f} s", flush=True)
    every = pd.concat(tables, ignore_index=True)
    every.to_csv(out / "targeting-bayes.csv", index=False)
    bins = pd.concat([c["bins"] for c in calibrations], ignore_index=True)
    bins.to_csv(out / "targeting-reliability.csv", index=False)
    reliability_chart(bins, out / "targeting-reliability.png")
    summary = summarise(every)
    summary.to_csv(out / "targeting-bayes-summary.csv", index=False)
    pd.DataFrame([{k: v for k, v in c.items() if k != "bins"} for c in calibrations]).to_csv(
        out / "targeting-calibration.csv", index=False
    )
    rows = rows_of(summary, calibrations) + ablation_rows(ablation(out, seeds[0]))
    return rows + targeting_calibration.run(out, seeds)


def markdown(out: Path) -> str:
    """The docs tables from a run CSV files: ``python -m benchmarks.bench_targeting_sim out markdown``
    (from the worlds finished so far when the run was stopped before its end)."""
    finished = out / "targeting-bayes-summary.csv"
    summary = (
        pd.read_csv(finished)
        if finished.exists()
        else summarise(pd.read_csv(out / "targeting-bayes-partial.csv"))
    )
    ks = [k for k in AT]
    lines = [
        "| world | strategy | " + " | ".join(f"@{k:g} %" for k in ks) + " |",
        "|---|---|" + "---|" * len(ks),
    ]
    for (world, strategy), g in summary.groupby(["world", "strategy"], sort=False):
        cells = []
        for k in ks:
            r = g[g.k_pct == k].iloc[0]
            spread = f" ± {r['std']:.3f}" if r["count"] > 1 and np.isfinite(r["std"]) else ""
            cells.append(f"{r['mean']:.3f}{spread}")
        lines.append(f"| {world} | {strategy} | " + " | ".join(cells) + " |")
    if (out / "targeting-calibration.csv").exists():
        cal = pd.read_csv(out / "targeting-calibration.csv")
        lines += ["", "| world | seeds | test rows | test hit rate | Brier, model | Brier, previous model |"]
        lines.append("|---|---|---|---|---|---|")
        for world, g in cal.groupby("world", sort=False):
            lines.append(
                f"| {world} | {len(g)} | {g['test_rows'].mean():,.0f} | {g['rate'].mean():.2%} | "
                f"{g['brier_model'].mean():.3g} | {g['brier_previous'].mean():.3g} |"
            )
    if (out / "targeting-ablation.csv").exists():
        abl = pd.read_csv(out / "targeting-ablation.csv")
        lines += ["", "| world | variant | " + " | ".join(f"@{k:g} %" for k in ks) + " |"]
        lines.append("|---|---|" + "---|" * len(ks))
        for (world, strategy), g in abl.groupby(["world", "strategy"], sort=False):
            frac = g.set_index("k_pct")["fraction_of_bayes"]
            lines.append(f"| {world} | {strategy} | " + " | ".join(f"{frac[k]:.3f}" for k in ks) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - manual runs
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench-out")
    if len(sys.argv) > 2 and sys.argv[2] == "markdown":
        print(markdown(folder))
    elif len(sys.argv) > 2 and sys.argv[2] == "ablation":
        names = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else ()
        only = tuple(sys.argv[4].split(",")) if len(sys.argv) > 4 else ()
        for row in ablation_rows(ablation(folder, SEEDS[0], names, only)):
            print(row)
    else:
        chosen = tuple(int(s) for s in sys.argv[2].split(",")) if len(sys.argv) > 2 else SEEDS
        for row in run(folder, chosen):
            print(row)
