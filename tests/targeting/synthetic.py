"""Small synthetic declarations with a planted signal (risky traders and HS codes, undervaluation).

Canonical declarations columns plus two extras, so tests need neither the KCS files nor a mapping.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def declarations(n: int, *, seed: int = 0, start: str = "2020-01-01", days: int = 180) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    traders = np.array([f"T{i:03d}" for i in range(60)])
    risky_traders = set(traders[:8])
    hs = np.array([f"{h:06d}" for h in (610910, 620342, 640399, 420221, 851762, 950300, 330300, 491199)])
    risky_hs = {"640399", "420221"}
    trader = rng.choice(traders, n)
    hs_code = rng.choice(hs, n)
    mass = np.round(rng.lognormal(3, 1, n), 1)
    undervalued = rng.random(n) < 0.15
    unit = np.where(undervalued, 2.0, 20.0) * rng.lognormal(0, 0.2, n)
    value = np.round(mass * unit, 2)
    logit = (
        -2.2
        + 2.0 * np.isin(trader, list(risky_traders))
        + 1.2 * np.isin(hs_code, list(risky_hs))
        + 1.5 * undervalued
    )
    infringement = rng.random(n) < 1 / (1 + np.exp(-logit))
    first = dt.date.fromisoformat(start)
    dates = [first + dt.timedelta(days=int(d)) for d in np.sort(rng.integers(0, days, n))]
    return pd.DataFrame(
        {
            "declaration_id": [f"D{seed}-{i:05d}" for i in range(n)],
            "item_no": 1,
            "date": dates,
            "flow": "import",
            "office": rng.choice(["DEHAM", "NLRTM", "BEANR"], n),
            "transport_mode": rng.choice(["sea", "air"], n),
            "declarant_id": rng.choice([f"A{i}" for i in range(12)], n),
            "trader_id": trader,
            "seller_id": rng.choice([f"S{i}" for i in range(40)] + [""], n),
            "carrier_id": rng.choice(["C1", "C2", ""], n),
            "hs_code": hs_code,
            "origin_country": rng.choice(["CN", "HK", "TR", "VN"], n),
            "departure_country": rng.choice(["CN", "HK", "AE"], n),
            "destination_country": "DE",
            "net_mass_kg": mass,
            "value": value,
            "currency": "EUR",
            "controlled": True,
            "infringement": infringement,
            "process_type": rng.choice(["A", "B"], n),
            "tax_rate": rng.choice(["0.0", "8.0", "13.0"], n),
        }
    )
