"""Each planted event of the default scenario is visible in the raw seizure counts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from iprisk.simulate import simulate
from tests.simulate.helpers import read_all_seizures


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = tmp_path_factory.mktemp("events")
    simulate(start="2015Q1", end="2017Q4", scale=0.25, seed=99, out_dir=folder, declarations=False)
    return folder


@pytest.fixture(scope="module")
def world(out: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    return read_all_seizures(out / "seizures"), truth


def _per_quarter(df: pd.DataFrame, quarters: list[str]) -> pd.Series:
    return df[df.line_no == 1].groupby("quarter").size().reindex(quarters, fill_value=0)


def _mean(series: pd.Series, lo: str, hi: str) -> float:
    return float(series[(series.index >= lo) & (series.index <= hi)].mean())


def test_surge_on_express_toys(world: tuple[pd.DataFrame, dict[str, object]]) -> None:
    df, _ = world
    quarters = sorted(df.quarter.unique())
    seg = df[(df.transport_mode == "express") & df.provenance_country.isin(["CN", "HK"])
             & (df.product_category == "toys") & (df.reporting_admin != "CN")]  # fmt: skip
    counts = _per_quarter(seg, quarters)
    assert _mean(counts, "2016Q2", "2017Q4") > 2.5 * _mean(counts, "2015Q1", "2016Q1")
    other = _per_quarter(df[(df.transport_mode == "express") & (df.product_category == "clothing")], quarters)
    assert _mean(other, "2016Q2", "2017Q4") < 1.5 * _mean(other, "2015Q1", "2016Q1")  # not a general rise


def test_displacement_from_rotterdam_to_antwerp(world: tuple[pd.DataFrame, dict[str, object]]) -> None:
    df, _ = world
    quarters = sorted(df.quarter.unique())
    sea = df[df.transport_mode == "sea"]
    rtm = _per_quarter(sea[sea.office == "NLRTM"], quarters)
    anr = _per_quarter(sea[sea.office == "BEANR"], quarters)
    assert _mean(rtm, "2016Q3", "2017Q4") < 0.6 * _mean(rtm, "2015Q1", "2016Q2")
    assert _mean(anr, "2016Q3", "2017Q4") > 1.4 * _mean(anr, "2015Q1", "2016Q2")


def test_new_modus_operandi_cigarettes_by_rail(world: tuple[pd.DataFrame, dict[str, object]]) -> None:
    df, truth = world
    quarters = sorted(df.quarter.unique())
    seg = df[(df.transport_mode == "rail") & (df.product_category == "tobacco")]
    counts = _per_quarter(seg, quarters)
    assert counts[counts.index < "2017Q1"].sum() == 0  # never seen before
    assert counts[counts.index >= "2017Q1"].min() >= 3
    events = {e["name"]: e for e in truth["events"]}  # type: ignore[index, union-attr]
    scope = events["rail-cigarettes"]["scope_cases_by_quarter"]
    assert scope == {q: int(counts[q]) for q in quarters}  # the truth counts what the files hold
    assert sum(events["rail-cigarettes"]["event_cases_by_quarter"].values()) == sum(scope.values())


def test_q4_seasonality_in_small_parcels(world: tuple[pd.DataFrame, dict[str, object]]) -> None:
    df, _ = world
    small = df[(df.line_no == 1) & df.transport_mode.isin(["post", "express"]) & (df.reporting_admin != "CN")]
    per_quarter = small.groupby("quarter").size()
    q4 = per_quarter[per_quarter.index.str.endswith("Q4")].mean()
    rest = per_quarter[~per_quarter.index.str.endswith("Q4")].mean()
    assert q4 > 1.15 * rest


def test_drift_from_containers_to_small_parcels(out: Path) -> None:
    trade = pq.read_table(out / "trade.parquet").to_pandas()
    trade["year"] = trade["quarter"].str[:4]
    by = trade.groupby(["year", "transport_mode"])["consignments"].sum().unstack()
    parcels = by["post"] + by["express"]
    assert parcels["2017"] > 1.15 * parcels["2015"]
    assert by["sea"]["2017"] < by["sea"]["2015"]
