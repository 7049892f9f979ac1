"""Displacement: a route falls while a neighbouring route for the same goods rises."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from iprisk.analysis import DISPLACEMENT_COLUMNS, displacement
from iprisk.periods import Quarter, quarter_range
from iprisk.simulate import default_scenario, simulate
from tests.simulate.helpers import read_all_seizures

QUARTERS = [str(q) for q in quarter_range(Quarter.parse("2014Q1"), Quarter.parse("2017Q4"))]
ROUTES = [
    ("NLRTM", "sea"),
    ("BEANR", "sea"),
    ("DEHAM", "sea"),
    ("FRLEH", "sea"),
    ("NLRTM", "air"),
    ("BEANR", "road"),
    ("DEFRA", "air"),
]
GOODS = [(p, c) for p in ("toys", "clothing", "shoes") for c in ("CN", "HK")]


def _lines(counts: dict[tuple[str, str, str, str, str], int]) -> pd.DataFrame:
    """One seizure line per case from ``{(quarter, office, mode, product, provenance): cases}``."""
    rows = []
    for (q, office, mode, product, prov), n in counts.items():
        rows += [(q, office[:2], f"{q}-{office}-{mode}-{product}-{prov}-{i}", office, mode, prov, product)
                 for i in range(n)]  # fmt: skip
    cols = ["quarter", "reporting_admin", "case_id", "office", "transport_mode", "provenance_country"]
    return pd.DataFrame(rows, columns=[*cols, "product_category"]).assign(flow="import")


def _world(
    seed: int, rate: float = 30.0, shift: tuple[str, str, float] | None = None, shift_goods: int = 1
) -> pd.DataFrame:
    """Poisson counts per route, goods and quarter, with routes of different sizes; ``shift = (from, to,
    share)`` moves ``share`` of the from-office's sea cases to the to-office from 2016Q3 for the first
    ``shift_goods`` goods."""
    rng = np.random.default_rng(seed)
    size = {r: rate * f for r, f in zip(ROUTES, (1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.7), strict=True)}
    counts = {}
    for q in QUARTERS:
        season = 1.0 + 0.2 * np.sin(Quarter.parse(q).index())  # common to every route: cancels out
        for g, (product, prov) in enumerate(GOODS):
            mean = {r: size[r] * season for r in ROUTES}
            if shift and q >= "2016Q3" and g < shift_goods:
                src, dst, share = (shift[0], "sea"), (shift[1], "sea"), shift[2]
                mean[dst] += share * mean[src]
                mean[src] *= 1 - share
            for (office, mode), mu in mean.items():
                counts[(q, office, mode, product, prov)] = int(rng.poisson(mu))
    return _lines(counts)


def test_finds_a_planted_shift_at_its_most_specific_level() -> None:
    d = displacement(ibis.memtable(_world(1, shift=("NLRTM", "BEANR", 0.7))))
    assert list(d.columns) == list(DISPLACEMENT_COLUMNS)
    assert len(d) >= 1
    top = d.iloc[0]
    assert (top["from_office"], top["from_transport_mode"], top["to_office"]) == ("NLRTM", "sea", "BEANR")
    assert (top["product_category"], top["provenance_country"], top["level"]) == (
        "toys",
        "CN",
        "product x provenance",
    )
    assert top["recent_start"] == "2016Q3" and top["base_start"] == "2014Q1"
    assert top["from_recent"] < top["from_before"] and top["to_recent"] > top["to_before"]
    assert top["q_value"] <= 0.05 and top["p_value"] <= top["q_value"]
    assert top["shifted"] > 0
    # Only that pair: the other goods and routes moved alike.
    assert set(zip(d["from_office"], d["to_office"], strict=True)) == {("NLRTM", "BEANR")}


def test_a_thin_shift_is_found_on_a_coarser_level() -> None:
    """Half the cases of each goods cell are too few alone; summed over the goods the shift is clear."""
    df = _world(2, rate=5.0, shift=("NLRTM", "BEANR", 0.6), shift_goods=len(GOODS))
    d = displacement(ibis.memtable(df))
    assert len(d) >= 1
    top = d.iloc[0]
    assert (top["from_office"], top["to_office"]) == ("NLRTM", "BEANR")
    assert top["level"] != "product x provenance"
    star = [c for c in ("product_category", "provenance_country") if top[c] == "*"]
    assert star  # the level sums over at least one goods column


def test_pure_noise_reports_nothing() -> None:
    for seed in (3, 4, 5):
        for rate in (2.0, 40.0):
            assert displacement(ibis.memtable(_world(seed, rate=rate))).empty


def test_neighbours_differ_in_office_or_mode_but_not_both() -> None:
    """NLRTM sea -> DEFRA air changes both: not a neighbour; the same move to BEANR sea is one."""
    counts = {}
    for q in QUARTERS:
        moved = q >= "2016Q3"
        for office, mode, n in (
            ("NLRTM", "sea", 5 if moved else 40),
            ("DEFRA", "air", 45 if moved else 10),
            ("DEHAM", "sea", 20),
            ("DEFRA", "sea", 20),
        ):
            counts[(q, office, mode, "toys", "CN")] = n
    assert displacement(ibis.memtable(_lines(counts))).empty
    for q in QUARTERS:
        counts[(q, "BEANR", "sea", "toys", "CN")] = 45 if q >= "2016Q3" else 10
        counts[(q, "DEFRA", "air", "toys", "CN")] = 10
    d = displacement(ibis.memtable(_lines(counts)))
    assert d[["from_office", "to_office"]].drop_duplicates().values.tolist() == [["NLRTM", "BEANR"]]


def test_a_fall_with_a_neighbouring_rise_of_two_quarters() -> None:
    rows = []
    for q in QUARTERS[-8:]:
        a, b, c = (10, 60, 30) if q >= "2017Q3" else (60, 10, 30)
        for office, n in (("NLRTM", a), ("BEANR", b), ("DEHAM", c)):
            rows += [(q, office[:2], f"{q}{office}{i}", office, "sea", "CN", "toys") for i in range(n)]
    cols = ["quarter", "reporting_admin", "case_id", "office", "transport_mode", "provenance_country"]
    d = displacement(ibis.memtable(pd.DataFrame(rows, columns=[*cols, "product_category"])))
    assert len(d) == 1
    r = d.iloc[0]
    assert (r["from_office"], r["to_office"], r["recent_start"], r["base_start"]) == (
        "NLRTM",
        "BEANR",
        "2017Q3",
        "2016Q1",
    )
    assert (r["from_before"], r["from_recent"], r["to_before"], r["to_recent"]) == (60, 10, 10, 60)
    assert r["shifted"] == 100
    assert r["flow"] == ""  # no flow column in the input


def test_arguments_are_checked() -> None:
    t = ibis.memtable(_world(1, rate=2.0))
    with pytest.raises(ValueError, match="metric"):
        displacement(t, metric="retail_value")
    with pytest.raises(ValueError, match="fdr"):
        displacement(t, fdr=1.5)
    with pytest.raises(ValueError, match="history"):
        displacement(t, recent=8, history=10)
    assert displacement(t.filter(t.quarter == "1999Q1")).empty


def _simulated(out: Path, events: bool, scale: float) -> ibis.Table:
    scenario = default_scenario() if events else dataclasses.replace(default_scenario(), events=())
    simulate(scenario, "2014Q1", "2017Q4", scale, 7, out, declarations=False)
    return ibis.memtable(read_all_seizures(out / "seizures"))


@pytest.mark.slow
def test_simulated_rotterdam_displacement_is_found_first(tmp_path: Path) -> None:
    """At scale 0.2 (the demo's 0.02 is too thin; see docs/analysis.md) the planted shift ranks first."""
    t = _simulated(tmp_path, True, 0.2)
    for end in ("2017Q4", "2016Q4"):
        top = displacement(t, end=end).iloc[0]
        route = (top["from_office"], top["from_transport_mode"], top["to_office"], top["to_transport_mode"])
        assert route == ("NLRTM", "sea", "BEANR", "sea")
        assert top["recent_start"] in ("2016Q2", "2016Q3")


def test_simulated_world_without_events_reports_nothing(tmp_path: Path) -> None:
    t = _simulated(tmp_path, False, 0.02)
    assert displacement(t, end="2017Q4").empty
    assert displacement(t, end="2016Q4").empty
