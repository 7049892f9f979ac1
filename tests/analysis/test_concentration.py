"""Concentration and incidence of offices and lanes."""

from __future__ import annotations

from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from iprisk.analysis import concentration, herfindahl
from tests.analysis.engines import Engine
from tests.analysis.worlds import World, canonical_lines, trade_table


def test_herfindahl() -> None:
    assert herfindahl([1, 1, 1, 1]) == pytest.approx(0.25)
    assert herfindahl([5]) == 1.0
    assert np.isnan(herfindahl([0, 0]))


def test_concentration_by_office_with_incidence(full: ibis.Table, trade: ibis.Table, world: World) -> None:
    c = concentration(full, "office", trade=trade)
    assert c["cases"].is_monotonic_decreasing
    assert c["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert c["hhi"].iloc[0] == pytest.approx((c["share"] ** 2).sum())
    lines = canonical_lines(world)
    top = c.iloc[0]
    assert (
        top["cases"]
        == lines[lines["office"] == top["office"]][["reporting_admin", "case_id"]].drop_duplicates().shape[0]
    )
    tr = trade_table(world)
    cons = tr[tr["office"] == top["office"]]["consignments"].sum()
    assert top["cases_per_1000_consignments"] == pytest.approx(1000 * top["cases"] / cons)
    cn = c[c["office"].str.startswith("CN")]  # Chinese export offices: no traffic in this trade table
    assert cn["cases_per_1000_consignments"].isna().all()


def test_concentration_by_lane(full: ibis.Table) -> None:
    lanes = concentration(full, "lane", metric="articles")
    assert lanes["lane"].str.contains(" -> ").all()
    assert lanes["articles"].is_monotonic_decreasing
    with pytest.raises(ValueError):
        concentration(full, "country")


def lane_world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six cases on three lanes (one with an unknown departure) and trade rows per lane, by hand."""
    seizures = pd.DataFrame(
        {
            "quarter": ["2020Q1"] * 5 + ["2020Q2"],
            "reporting_admin": ["NL"] * 6,
            "case_id": ["a", "b", "c", "e", "f", "d"],
            "office": ["NLRTM"] * 4 + ["NLAMS", "NLRTM"],
            "departure_port": ["CNSHA", "CNSHA", "CNSHA", "CNYTN", None, "CNSHA"],
            "arrival_port": ["NLRTM"] * 4 + ["NLAMS", "NLRTM"],
            "articles": [10, 5, 1, 2, 3, 4],
            "retail_value_eur": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    trade = pd.DataFrame(
        {
            "quarter": ["2020Q1", "2020Q1", "2020Q2", "2020Q1", "2020Q1", "2020Q1"],
            "office": ["NLRTM", "NLRTM", "NLRTM", "NLRTM", "NLAMS", "NLRTM"],
            # the last two rows have an unknown departure port: attributed to the office, to no lane
            "departure_port": ["CNSHA", "CNSHA", "CNSHA", "CNYTN", "", None],
            "arrival_port": ["NLRTM", "NLRTM", "NLRTM", "NLRTM", "NLAMS", "NLRTM"],
            "hs_chapter": ["95", "64", "95", "95", "95", "95"],
            "consignments": [1000, 500, 2000, 250, 9999, 777],
            "value_eur": [2e6, 1e6, 4e6, 5e5, 1e7, 1e6],
        }
    )
    return seizures, trade


def test_lane_incidence_is_cases_per_lane_traffic(engine: Engine) -> None:
    seizure_rows, trade_rows = lane_world()
    seizures = engine.table("lane_seizures", seizure_rows)
    trade = engine.table("lane_trade", trade_rows)
    c = concentration(seizures, "lane", trade=trade, end="2020Q1").set_index("lane")
    assert c.loc["CNSHA -> NLRTM", ["cases", "consignments", "trade_value_eur"]].tolist() == [3, 1500, 3e6]
    assert c.loc["CNSHA -> NLRTM", "cases_per_1000_consignments"] == pytest.approx(3 / 1500 * 1000)
    assert c.loc["CNSHA -> NLRTM", "cases_per_million_eur"] == pytest.approx(3 / 3e6 * 1e6)
    assert c.loc["CNYTN -> NLRTM", "cases_per_1000_consignments"] == pytest.approx(1 / 250 * 1000)
    # the seizure with no departure port has a lane "? -> NLAMS", which no trade row is attributed to
    assert np.isnan(c.loc["? -> NLAMS", "consignments"]) and np.isnan(
        c.loc["? -> NLAMS", "cases_per_million_eur"]
    )
    every = concentration(seizures, "lane", trade=trade).set_index("lane")
    assert every.loc["CNSHA -> NLRTM", "cases_per_1000_consignments"] == pytest.approx(4 / 3500 * 1000)
    offices = concentration(seizures, "office", trade=trade, end="2020Q1").set_index("office")
    assert offices.loc["NLRTM", "consignments"] == 1000 + 500 + 250 + 777  # offices keep the unknown ports


def test_lane_incidence_is_empty_without_port_columns(tmp_path: Path) -> None:
    from iprisk.warehouse import Warehouse

    seizure_rows, trade = lane_world()
    seizures = ibis.memtable(seizure_rows)
    no_ports = trade.drop(columns=["departure_port", "arrival_port"])
    c = concentration(seizures, "lane", trade=ibis.memtable(no_ports))
    assert len(c) == 3 and c["consignments"].isna().all() and c["cases_per_1000_consignments"].isna().all()
    national = no_ports.assign(
        reporting_admin="NL", flow="import", transport_mode="sea", provenance_country="CN",
        destination_country="NL", product_category="toys",
    )  # fmt: skip
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.load_trade(national)  # a file without ports loads; the warehouse stores them empty
        stored = wh.trade()
        lanes = concentration(seizures, "lane", trade=stored)
        offices = concentration(seizures, "office", trade=stored).set_index("office")
    assert lanes["cases_per_1000_consignments"].isna().all()
    assert offices.loc["NLRTM", "cases_per_1000_consignments"] == pytest.approx(
        5 / (1000 + 500 + 250 + 777 + 2000) * 1000
    )
