"""Concentration, propensity, mirror and displacement."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from iprisk.analysis import (
    DISPLACEMENT_COLUMNS,
    MIRROR_COLUMNS,
    concentration,
    displacement,
    herfindahl,
    mirror,
    propensity,
)
from tests.analysis.worlds import World, canonical_lines, trade_table


@pytest.fixture(scope="module")
def full(world: World) -> ibis.Table:
    return ibis.memtable(canonical_lines(world))


@pytest.fixture(scope="module")
def trade(world: World) -> ibis.Table:
    return ibis.memtable(trade_table(world))


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


def test_propensity_products_and_provenance(full: ibis.Table, trade: ibis.Table) -> None:
    p = propensity(full, trade, by="hs_chapter")
    row = p[p["hs_chapter"] == "95"].iloc[0]  # every seized line is chapter 95, a quarter of the trade
    assert row["seizure_share"] == pytest.approx(1.0)
    assert row["factor"] == pytest.approx(1.0 / row["trade_share"])
    e = propensity(full, trade, by="provenance_country")
    assert e.iloc[0]["factor"] >= e.dropna(subset=["factor"])["factor"].iloc[-1]
    assert {"CN", "HK"} <= set(e["provenance_country"])


def test_mirror_matches_export_and_import_detentions(full: ibis.Table, world: World) -> None:
    m = mirror(full)
    assert list(m.columns) == list(MIRROR_COLUMNS)
    lines = canonical_lines(world)
    exp = lines[(lines["reporting_admin"] == "CN")][["case_id"]].drop_duplicates()
    assert m["export_cases"].sum() == len(exp)
    assert set(m["detected"]) <= {"both", "export only", "import only"}
    both = m[m["detected"] == "both"]
    assert ((both["export_share"] > 0) & (both["export_share"] < 1)).all()


def test_displacement_pairs_a_fall_with_a_neighbouring_rise() -> None:
    rows = []
    for q, a, b, c in (
        ("2020Q1", 60, 10, 30),
        ("2020Q2", 60, 10, 30),
        ("2021Q1", 10, 60, 30),
        ("2021Q2", 12, 55, 31),
    ):
        for office, n in (("NLRTM", a), ("BEANR", b), ("DEHAM", c)):
            rows += [(q, office[:2], f"{q}{office}{i}", office, "sea", "CN", "toys") for i in range(n)]
    cols = [
        "quarter",
        "reporting_admin",
        "case_id",
        "office",
        "transport_mode",
        "provenance_country",
        "product_category",
    ]
    d = displacement(ibis.memtable(pd.DataFrame(rows, columns=cols)))
    assert list(d.columns) == list(DISPLACEMENT_COLUMNS)
    assert len(d) == 1
    r = d.iloc[0]
    assert (r["from_office"], r["to_office"]) == ("NLRTM", "BEANR")
    assert (r["from_before"], r["from_recent"], r["to_before"], r["to_recent"]) == (120, 22, 20, 115)
    assert r["shifted"] == 95
