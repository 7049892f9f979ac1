"""Targeting on the simulated world: precision@k of each selection strategy against the oracle, and the gain
of model plus profiles over profiles alone and over random selection (the targeting issue's last figure).

The world (2014Q1-2017Q4, scale 0.05, seed 7) is scored on its last year after profiles were mined and the
score fitted on the years before, with the simulator's ground truth as labels (see ``iprisk.demo``).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

from iprisk.demo import run_targeting_demo
from iprisk.simulate import simulate

SCALE = 0.05
AT = (1.0, 5.0, 10.0)


def run(out: Path) -> list[dict[str, Any]]:
    world_dir = out / "targeting-sim-world"
    if world_dir.exists():
        shutil.rmtree(world_dir)
    world = simulate(start="2014Q1", end="2017Q4", scale=SCALE, seed=7, out_dir=world_dir)
    assert world.declarations_path and world.declarations_truth_path
    demo = run_targeting_demo(
        world.declarations_path, world.declarations_truth_path, train_until=date(2016, 12, 31), at=AT
    )
    table = demo.comparison.set_index(["strategy", "k_pct"])
    rows: list[dict[str, Any]] = []
    for k in AT:
        random_p = float(table.loc[("random", k), "precision"])
        profiles_p = float(table.loc[("profiles", k), "precision"])
        for strategy in ("model+profiles", "model", "profiles"):
            r = table.loc[(strategy, k)]
            rows.append(
                {
                    "name": f"simulated world, {strategy}: precision@{k:g}% (value: ours; target: oracle)",
                    "value": float(r["precision"]),
                    "baseline": random_p,
                    "ratio": float(r["precision"]) / random_p if random_p else None,
                    "target": float(r["precision_oracle"]),
                    "ok": None,
                }
            )
        combined = float(table.loc[("model+profiles", k), "precision"])
        rows.append(
            {
                "name": f"simulated world: gain of model+profiles over profiles alone @{k:g}%",
                "value": combined / profiles_p if profiles_p else None,
                "unit": "x",
                "baseline": profiles_p,
                "ok": combined > profiles_p,
            }
        )
    rows.append(
        {
            "name": f"simulated world: test declarations (last year), true hit rate {demo.test_hit_rate:.2%}",
            "value": demo.test_rows,
            "unit": "rows",
        }
    )
    shutil.rmtree(world_dir, ignore_errors=True)
    return rows
