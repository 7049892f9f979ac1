"""Small synthetic declarations and profiles for the profile tests (built in memory, no files)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from iprisk.profiles import Profile


def profile(pid: str = "P1", **overrides: Any) -> Profile:
    """A valid profile; keyword arguments replace fields (``criteria`` as a mapping)."""
    data: dict[str, Any] = {
        "id": pid,
        "title": "Sports shoes from KH by post",
        "owner": "NL",
        "criteria": {"hs_prefixes": ["6404"], "origin_countries": ["KH"], "transport_modes": ["post"]},
        "risk_level": 4,
        "control": "physical",
        "valid_from": "2021-01-01",
        "rationale": "Seizures of counterfeit sports shoes doubled in 2020.",
    }
    data.update(overrides)
    return Profile.model_validate(data)


def declarations(
    n: int = 20_000, *, seed: int = 1, planted_rate: float = 0.6, base_rate: float = 0.03
) -> pd.DataFrame:
    """Labelled import declarations over 2021 with one planted rule: HS 6404 from KH by post."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "declaration_id": [f"D{i:06d}" for i in range(n)],
            "item_no": np.ones(n, dtype=np.int64),
            "date": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "flow": "import",
            "office": rng.choice(["NLRTM", "DEHAM", "BEANR"], n),
            "hs_code": rng.choice(["640411", "640419", "640299", "610910", "851712", "950300", "420222"], n),
            "origin_country": rng.choice(["CN", "KH", "VN", "TR"], n),
            "departure_country": rng.choice(["CN", "HK"], n),
            "destination_country": "NL",
            "transport_mode": rng.choice(["post", "air", "sea"], n),
            "trader_id": [f"T{t}" for t in rng.integers(0, 300, n)],
            "value": rng.lognormal(4, 1, n),
            "net_mass_kg": rng.lognormal(1, 1, n),
        }
    )
    df["date"] = df["date"].dt.date
    rule = (
        df["hs_code"].str.startswith("6404")
        & (df["origin_country"] == "KH")
        & (df["transport_mode"] == "post")
    )
    df["infringement"] = rng.random(n) < np.where(rule, planted_rate, base_rate)
    return df


TRAIN_UNTIL = date(2021, 9, 30)
