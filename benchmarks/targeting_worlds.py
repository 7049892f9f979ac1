"""Simulated worlds for measuring targeting against the Bayes oracle (shared by the targeting benchmarks).

Each world is the calibrated scenario with a few fields changed, simulated 2015Q1-2017Q4; the score is fitted
on 2015-2016 with the simulator's ground truth as labels (a fully audited history, which only a simulation
has) and measured on 2017 against ``true_probability``, the probability each declaration was drawn with
(updated by its declared value): ranking by it is the Bayes-optimal selection.

Worlds are cached under ``out/bayes-worlds/<name>-s<seed>`` (deterministic in their parameters; a folder
whose ``truth.json`` says otherwise is rebuilt).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iprisk.simulate import Scenario, default_scenario, simulate

START, END = "2015Q1", "2017Q4"
TRAIN_UNTIL = date(2016, 12, 31)
TRUTH_COLUMNS = [
    "declaration_id",
    "item_no",
    "true_infringement",
    "true_probability",
    "latent_risk",
    "infringing_trader",  # read by the trader-history oracle only; no model or profile miner uses it
]


def _rates(factor: float) -> Callable[[Scenario], Scenario]:
    def change(s: Scenario) -> Scenario:
        return dataclasses.replace(
            s, infringement_rate={m: r * factor for m, r in s.infringement_rate.items()}
        )

    return change


@dataclass(frozen=True)
class WorldSpec:
    """A named world: scenario changes, scale, and what it is meant to stress."""

    name: str
    about: str
    scale: float = 0.05
    changes: dict[str, Any] = field(default_factory=dict)
    rate_factor: float = 1.0

    def scenario(self) -> Scenario:
        s = dataclasses.replace(default_scenario(), name=self.name, **self.changes)
        return _rates(self.rate_factor)(s) if self.rate_factor != 1.0 else s


WORLDS: tuple[WorldSpec, ...] = (
    WorldSpec("calibrated", "the calibrated default world (base rate ~0.7 %)"),
    WorldSpec(
        "rare",
        "infringement rates x 0.7 (base rate ~0.5 %), smaller sample (scale 0.03)",
        0.03,
        rate_factor=0.7,
    ),
    WorldSpec("common", "infringement rates x 7 (base rate ~5 %), scale 0.02", 0.02, rate_factor=7.0),
    WorldSpec(
        "parties",
        "risk in parties: 2 % of traders at 40x, 80 % of them in networks sharing declarant and carrier",
        0.03,
        changes={"infringing_trader_share": 0.02, "infringing_trader_factor": 40.0, "network_share": 0.8},
    ),
    WorldSpec(
        "goods",
        "risk in goods and values: no risky traders, 90 % of infringing consignments undervalued",
        0.03,
        changes={"infringing_trader_factor": 1.0, "undervalued_share": 0.9},
        rate_factor=2.0,
    ),
)


def world_folder(out: Path, spec: WorldSpec, seed: int) -> Path:
    """The world's folder under ``out``, simulated unless an identical one is cached there."""
    folder = out / "bayes-worlds" / f"{spec.name}-s{seed}"
    scenario = spec.scenario()
    truth = folder / "truth.json"
    if truth.exists() and (folder / "truth_declarations.parquet").exists():
        saved = json.loads(truth.read_text(encoding="utf-8"))
        same = (saved["seed"], saved["scale"], saved["start"], saved["end"], saved["scenario"]) == (
            seed,
            spec.scale,
            START,
            END,
            json.loads(json.dumps(scenario.to_dict())),
        )
        if same:
            return folder
    shutil.rmtree(folder, ignore_errors=True)
    simulate(scenario, START, END, spec.scale, seed, folder)
    shutil.rmtree(folder / "seizures", ignore_errors=True)  # not needed here
    return folder


def load_world(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training (up to 2016) and test (2017) declarations with the truth columns joined on."""
    decl = pd.read_parquet(folder / "declarations.parquet")
    truth = pd.read_parquet(folder / "truth_declarations.parquet", columns=TRUTH_COLUMNS)
    frame = decl.merge(truth, on=["declaration_id", "item_no"], how="left", validate="one_to_one")
    in_train = pd.to_datetime(frame["date"]).dt.date <= TRAIN_UNTIL
    return frame[in_train].reset_index(drop=True), frame[~in_train].reset_index(drop=True)


def trader_history_oracle(spec: WorldSpec, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The best score that knows everything but each trader's type, which it infers from the trader's
    training history: the true segment rate and value evidence, and the posterior of the trader being an
    infringing one given its training hits against the hits its true segment rates predict (the scenario's
    own two-point mixture). The ceiling of any model that learns traders from their history."""
    from scipy.stats import poisson

    from iprisk.simulate.consignments import posterior

    scenario = spec.scenario()
    hi, share = scenario.infringing_trader_factor, scenario.infringing_trader_share
    lo = max(0.0, (1 - share * hi) / (1 - share))

    def segment(frame: pd.DataFrame, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        latent, p = frame["latent_risk"].to_numpy(), frame["true_probability"].to_numpy()
        factor = np.where(bad, hi, lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(latent >= 1, 1.0, np.nan_to_num(latent / factor))
            odds = np.where((latent > 0) & (latent < 1), (p / (1 - p)) / (latent / (1 - latent)), 1.0)
        return rate, np.nan_to_num(odds, nan=1.0, posinf=1.0)

    train_rate, _ = segment(train, train["infringing_trader"].to_numpy())
    test_rate, value_odds = segment(test, test["infringing_trader"].to_numpy())
    sums = (
        pd.DataFrame(
            {"t": train["trader_id"], "h": train["true_infringement"].astype(float), "e": train_rate}
        )
        .groupby("t")[["h", "e"]]
        .sum()
    )
    h = test["trader_id"].map(sums["h"]).fillna(0).to_numpy()
    e = test["trader_id"].map(sums["e"]).fillna(0).to_numpy()
    a, b = share * poisson.pmf(h, hi * e), (1 - share) * poisson.pmf(h, lo * e)
    w = a / np.maximum(a + b, 1e-300)
    prior = np.where(test_rate >= 1, 1.0, np.minimum(test_rate * (w * hi + (1 - w) * lo), 1.0))
    return np.asarray(posterior(prior, value_odds))
