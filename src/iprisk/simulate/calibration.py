"""The published figures the default world is calibrated on, and a side-by-side check of a simulated world.

>>> import tempfile
>>> from iprisk.simulate import simulate
>>> with tempfile.TemporaryDirectory() as tmp:
...     summary = simulate(start="2013Q1", end="2016Q4", scale=0.05, declarations=False, out_dir=tmp)
>>> table = calibration_table(summary.seizure_totals, scale=0.05)
>>> table.loc[0, "figure"], bool(table["ok"].all())
('EU cases per year', True)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Figure:
    """A published figure and the band a calibrated world must land in."""

    name: str
    published: str
    low: float
    high: float


#: EU figures (DG TAXUD annual reports 2012-2018) and China's (GACC 2024); bands as in the design note.
PUBLISHED: tuple[Figure, ...] = (
    Figure("EU cases per year", "63,000-95,000 (2013-2016)", 60_000, 95_000),
    Figure("EU articles per year (millions)", "35-43.7 (2013-2016)", 30.0, 45.0),
    Figure("EU: China + Hong Kong share of articles", "66 % + 13 % (2013), 80 % CN (2016)", 0.65, 0.85),
    Figure("EU: post + express share of cases", "70-73 % (2012-2016), 84 % (2018)", 0.65, 0.85),
    Figure("EU: sea share of articles", "65 % (2017), the largest mode", 0.50, 0.80),
    Figure("EU: destroyed or court case, share of articles", "~90 % (2013), 90 % (2016)", 0.80, 0.95),
    Figure("China: share of batches at export", "99.17 % (2024)", 0.98, 1.0),
    Figure("China: share of batches with trademarks", "99.5 % (2024)", 0.98, 1.0),
)

_DESTROYED = ("destroyed", "destroyed_small_consignment", "court_case")


def calibration_table(totals: pd.DataFrame, scale: float) -> pd.DataFrame:
    """Our figures beside the published ones, from :attr:`SimulationSummary.seizure_totals`.

    Counts are divided by ``scale`` to compare with the real volume. Annual figures are the mean over the
    simulated complete years. Columns: ``figure``, ``ours``, ``published``, ``low``, ``high``, ``ok``.
    """
    t = totals.assign(year=totals["quarter"].str[:4])
    eu = t[t["reporting_admin"] != "CN"]
    cn = t[t["reporting_admin"] == "CN"]
    full_years = t.groupby("year")["quarter"].nunique()
    years = full_years[full_years == 4].index
    eu_years = eu[eu["year"].isin(years)]
    per_year = eu_years.groupby("year")[["cases", "articles"]].sum() / scale

    def share(df: pd.DataFrame, mask: pd.Series, col: str) -> float:
        total = df[col].sum()
        return float(df.loc[mask, col].sum() / total) if total else float("nan")

    ours = [
        float(per_year["cases"].mean()) if len(per_year) else float("nan"),
        float(per_year["articles"].mean() / 1e6) if len(per_year) else float("nan"),
        share(eu, eu["provenance_country"].isin(["CN", "HK"]), "articles"),
        share(eu, eu["transport_mode"].isin(["post", "express"]), "cases"),
        share(eu, eu["transport_mode"] == "sea", "articles"),
        share(eu, eu["outcome"].isin(_DESTROYED), "articles"),
        share(cn, cn["flow"] == "export", "cases"),
        share(cn, cn["ipr_type"] == "trademark", "cases"),
    ]
    rows = [
        {"figure": f.name, "ours": v, "published": f.published, "low": f.low, "high": f.high,
         "ok": bool(f.low <= v <= f.high)}
        for f, v in zip(PUBLISHED, ours, strict=True)
    ]  # fmt: skip
    return pd.DataFrame(rows)
