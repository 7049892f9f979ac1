"""Calibration of the learned score on simulated worlds, before and after an out-of-time calibration.

Per world and seed (:mod:`benchmarks.targeting_worlds`): fit the score on 2015Q1-2016Q2, score the second
half of 2016 (labels known: the calibration period) and 2017 (the test period); fit an isotonic and a Platt
calibration (:func:`iprisk.targeting.fit_calibrator`) on the 2016H2 scores and their outcomes, and measure
the 2017 scores raw and calibrated against the true probabilities: Brier score, the mean score against the
mean true probability (calibration-in-the-large), fraction of Bayes at 1, 2, 5 and 10 % (Platt keeps the
order; isotonic can tie), and reliability bins (score deciles) for the chart
``out/targeting-reliability-calibrated.png``.

Run alone: ``python -m benchmarks.targeting_calibration [out] [seeds] [world,...]``; part of
``python -m benchmarks.bench_targeting_sim`` (rows ``calibration ...``).
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.targeting_worlds import WORLDS, load_world, world_folder

#: the calibration model is fitted up to here; the rest of the training period calibrates it
CALIBRATE_FROM = date(2016, 7, 1)
AT = (1.0, 2.0, 5.0, 10.0)
LABEL = "true_infringement"
TREES = 200
METHODS = ("isotonic", "platt")


def evaluate_world(out: Path, name: str, seed: int) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Calibration figures of one world and seed, its Bayes table and its reliability bins."""
    from iprisk.evaluation import bayes_table, brier_score, reliability
    from iprisk.targeting import LightGBMScorer, fit_calibrator

    spec = next(w for w in WORLDS if w.name == name)
    train, test = load_world(world_folder(out, spec, seed))
    t0 = time.perf_counter()
    early = pd.to_datetime(train["date"]).dt.date < CALIBRATE_FROM
    fit_rows, calib_rows = train[early], train[~early]
    scorer = LightGBMScorer(n_estimators=TREES, seed=seed).fit(fit_rows, fit_rows[LABEL].astype(int))
    calib_scores = np.asarray(scorer.score(calib_rows))
    raw = np.asarray(scorer.score(test))
    truth = test["true_probability"].to_numpy()
    scores = {"raw": raw}
    for method in METHODS:
        calibrator = fit_calibrator(calib_scores, calib_rows[LABEL].astype(float), method)
        scores[method] = calibrator.apply(raw)
    figures: dict[str, Any] = {
        "world": name,
        "seed": seed,
        "calibration_rows": len(calib_rows),
        "calibration_hits": int(calib_rows[LABEL].sum()),
        "test_rows": len(test),
        "mean_true_probability": float(truth.mean()),
    }
    for key, s in scores.items():
        figures[f"brier_{key}"] = brier_score(truth, s)
        figures[f"mean_score_{key}"] = float(s.mean())
    figures["seconds"] = time.perf_counter() - t0
    table = bayes_table(truth, scores, at=AT).assign(world=name, seed=seed)
    bins = pd.concat(
        [
            reliability(truth, s, bins=10).assign(scores=key, world=name, seed=seed)
            for key, s in scores.items()
        ],
        ignore_index=True,
    )
    return figures, table, bins


def chart(bins: pd.DataFrame, path: Path) -> None:
    """Reliability before and after calibration: mean score against mean true probability per score decile,
    one panel per world, log scales, the diagonal dashed."""
    import altair as alt

    data = bins.groupby(["world", "scores", "bin"], as_index=False)[["mean_score", "observed"]].mean()
    low = max(float(data[["mean_score", "observed"]].min().min()), 1e-5)
    top = float(data[["mean_score", "observed"]].max().max())
    # the diagonal drawn as one more series per panel (a layer with its own data is lost in a facet)
    perfect = pd.DataFrame(
        [
            {"world": w, "scores": "perfect", "bin": b, "mean_score": v, "observed": v}
            for w in data["world"].unique()
            for b, v in enumerate((low, top))
        ]
    )
    series = ["raw", *METHODS, "perfect"]
    scale = alt.Scale(type="log", domain=[low, top])
    chart = (
        alt.Chart(pd.concat([data, perfect], ignore_index=True))
        .mark_line(point=True)
        .encode(
            x=alt.X("mean_score:Q", title="mean score of the decile", scale=scale),
            y=alt.Y("observed:Q", title="mean true probability", scale=scale),
            color=alt.Color(
                "scores:N",
                title="scores",
                scale=alt.Scale(domain=series, range=["#d62728", "#1f77b4", "#2ca02c", "#999999"]),
            ),
            strokeDash=alt.condition(alt.datum.scores == "perfect", alt.value([4, 4]), alt.value([1, 0])),
        )
        .properties(width=230, height=200)
    )
    chart.facet(facet=alt.Facet("world:N", title=None), columns=3).properties(
        title="Reliability on 2017, model fitted to 2016Q2, calibrated on 2016H2 (score deciles)"
    ).save(str(path), scale_factor=1.5)


def run(out: Path, seeds: tuple[int, ...], worlds: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every world and seed; CSV files and the chart under ``out``; benchmark rows (means over seeds)."""
    figures, tables, bins = [], [], []
    for spec in WORLDS:
        if worlds and spec.name not in worlds:
            continue
        for seed in seeds:
            f, t, b = evaluate_world(out, spec.name, seed)
            figures.append(f)
            tables.append(t)
            bins.append(b)
            print(f"  calibration {spec.name} seed {seed}: {f['seconds']:.0f} s", flush=True)
    cal = pd.DataFrame(figures)
    cal.to_csv(out / "targeting-calibration-oot.csv", index=False)
    every = pd.concat(tables, ignore_index=True)
    every.to_csv(out / "targeting-calibration-bayes.csv", index=False)
    all_bins = pd.concat(bins, ignore_index=True)
    all_bins.to_csv(out / "targeting-reliability-calibrated.csv", index=False)
    chart(all_bins, out / "targeting-reliability-calibrated.png")
    return rows_of(cal)


def rows_of(cal: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for world, g in cal.groupby("world", sort=False):
        for method in METHODS:
            before, after = float(g["brier_raw"].mean()), float(g[f"brier_{method}"].mean())
            rows.append(
                {
                    "name": f"calibration, {world}: Brier score against the true probabilities after "
                    f"{method} calibration on 2016H2 (mean of {len(g)} seeds; baseline: raw scores)",
                    "value": after,
                    "unit": "",
                    "baseline": before,
                    "ratio": after / before if before else None,
                    "target": None,
                    "ok": None,
                }
            )
    return rows


def markdown(out: Path) -> str:
    """The docs table: ``python -m benchmarks.targeting_calibration out markdown``."""
    cal = pd.read_csv(out / "targeting-calibration-oot.csv")
    bayes = pd.read_csv(out / "targeting-calibration-bayes.csv")
    lines = [
        "| world | seeds | mean true probability | mean score: raw / isotonic / Platt "
        "| Brier x 10^4: raw / isotonic / Platt | fraction of Bayes @5 %: raw / isotonic / Platt |",
        "|---|---|---|---|---|---|",
    ]
    at5 = bayes[bayes.k_pct == 5].groupby(["world", "strategy"])["fraction_of_bayes"].mean()
    for world, g in cal.groupby("world", sort=False):
        means = " / ".join(f"{g[f'mean_score_{k}'].mean():.4f}" for k in ("raw", *METHODS))
        briers = " / ".join(f"{1e4 * g[f'brier_{k}'].mean():.2f}" for k in ("raw", *METHODS))
        fracs = " / ".join(f"{at5[(world, k)]:.3f}" for k in ("raw", *METHODS))
        lines.append(
            f"| {world} | {len(g)} | {g['mean_true_probability'].mean():.4f} | {means} | {briers} | {fracs} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - manual runs
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench-out")
    if len(sys.argv) > 2 and sys.argv[2] == "markdown":
        print(markdown(folder))
    else:
        chosen = tuple(int(s) for s in sys.argv[2].split(",")) if len(sys.argv) > 2 else (1, 2, 3)
        names = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else ()
        for row in run(folder, chosen, names):
            print(row)
