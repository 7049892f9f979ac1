"""The demo's targeting stage: propose profiles, fit the score, select, and measure on the simulated world.

A simulation knows the truth of every consignment, which no administration does: here the earlier period
plays a fully audited history (labels = the simulator's ground truth), and the later period is scored and
measured against the truth. The comparison is the one an analyst runs before deploying a strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from iprisk.evaluation import compare_strategies, profile_metrics, strategy_priorities
from iprisk.profiles import Profile, evaluate, mine_profiles
from iprisk.simulate import TRUE_LABEL, labelled_declarations
from iprisk.targeting.scorer import LightGBMScorer


@dataclass
class TargetingDemo:
    train_until: date
    train_rows: int
    test_rows: int
    test_hit_rate: float
    profiles: list[Profile]
    #: each proposed profile on the later period: matched, coverage, hits, hit rate, recall, lift
    profile_table: pd.DataFrame
    comparison: pd.DataFrame


def run_targeting_demo(
    declarations: Path,
    truth: Path,
    *,
    train_until: date,
    at: tuple[float, ...] = (1, 2, 5, 10),
    seed: int = 7,
) -> TargetingDemo:
    frame = labelled_declarations(declarations, truth)
    in_train = pd.to_datetime(frame["date"]).dt.date <= train_until
    train, test = frame[in_train].reset_index(drop=True), frame[~in_train].reset_index(drop=True)

    profiles = mine_profiles(frame, train_until=train_until, label=TRUE_LABEL, max_profiles=8, owner="EU")
    matches = evaluate(test, profiles, only_active=False, check_validity=False).to_pandas()
    scorer = LightGBMScorer(n_estimators=200, seed=seed).fit(train, train[TRUE_LABEL].astype(int))
    score = scorer.score(test)

    priorities = strategy_priorities(
        score, matches["max_risk_level"].to_numpy(), matches["mandatory"].to_numpy(), seed=seed
    )
    labels = test[TRUE_LABEL].to_numpy()
    comparison = compare_strategies(labels, priorities, at=at, values=test["value"].to_numpy())
    per_profile = profile_metrics(matches["matched_profiles"], labels)
    return TargetingDemo(
        train_until, len(train), len(test), float(np.mean(labels)), profiles, per_profile, comparison
    )
