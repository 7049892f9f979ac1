"""The default world lands near the published figures (docs/simulation.md), checked at a reduced scale."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iprisk.simulate import PUBLISHED, SimulationSummary, calibration_table, simulate
from tests.simulate.helpers import read_all_seizures

SCALE = 0.05


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    out: Path = tmp_path_factory.mktemp("calibration")
    return simulate(start="2013Q1", end="2016Q4", scale=SCALE, seed=2024, out_dir=out, declarations=False)


@pytest.fixture(scope="module")
def seizures(world: SimulationSummary) -> pd.DataFrame:
    return read_all_seizures(world.out_dir / "seizures")


def test_eu_cases_and_articles_per_year(seizures: pd.DataFrame) -> None:
    eu = seizures[seizures.reporting_admin != "CN"]
    per_year = eu.groupby("year").agg(
        cases=("line_no", lambda s: int((s == 1).sum())), articles=("articles", "sum")
    )
    cases = per_year["cases"] / SCALE
    articles = per_year["articles"] / SCALE
    assert cases.between(60_000, 95_000).all(), cases
    assert articles.mean() == pytest.approx(37.5e6, rel=0.2), articles


def test_eu_shares(seizures: pd.DataFrame) -> None:
    eu = seizures[seizures.reporting_admin != "CN"]
    cases = eu[eu.line_no == 1]
    china = eu.provenance_country.isin(["CN", "HK"])
    assert 0.65 <= eu.loc[china, "articles"].sum() / eu["articles"].sum() <= 0.85
    assert 0.65 <= cases.transport_mode.isin(["post", "express"]).mean() <= 0.85
    by_mode = eu.groupby("transport_mode")["articles"].sum() / eu["articles"].sum()
    assert by_mode.idxmax() == "sea" and by_mode["sea"] > 0.5
    destroyed = eu.outcome.isin(["destroyed", "destroyed_small_consignment", "court_case"])
    assert 0.80 <= eu.loc[destroyed, "articles"].sum() / eu["articles"].sum() <= 0.95
    assert (eu.flow == "import").all()
    assert (cases.procedure == "application").mean() > 0.85


def test_china_detains_at_export_mostly_trademarks(seizures: pd.DataFrame) -> None:
    cn = seizures[seizures.reporting_admin == "CN"]
    cases = cn[cn.line_no == 1]
    assert (cases.flow == "export").mean() > 0.98
    assert (cn.ipr_type == "trademark").mean() > 0.98
    assert cn.office.str.startswith("CN").all()


def test_calibration_table_agrees_with_the_raw_files(
    world: SimulationSummary, seizures: pd.DataFrame
) -> None:
    table = calibration_table(world.seizure_totals, scale=SCALE).set_index("figure")
    assert list(table.index) == [f.name for f in PUBLISHED]
    assert table["ok"].all(), table
    eu = seizures[seizures.reporting_admin != "CN"]
    cases_per_year = (eu.line_no == 1).sum() / 4 / SCALE
    assert table.loc["EU cases per year", "ours"] == pytest.approx(cases_per_year)
    china = eu.provenance_country.isin(["CN", "HK"])
    share = eu.loc[china, "articles"].sum() / eu["articles"].sum()
    assert table.loc["EU: China + Hong Kong share of articles", "ours"] == pytest.approx(share)
