from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from iprisk.periods import Quarter, quarter_range
from iprisk.simulate import PlantedEvent, default_scenario
from iprisk.simulate.latent import World, build_world
from iprisk.simulate.world import PRODUCTS

QUARTERS = quarter_range(Quarter.parse("2016Q1"), Quarter.parse("2016Q4"))


def _by(world: World, col: str, value: str) -> pd.DataFrame:
    lanes = world.lanes
    seg = world.segments.join(lanes.set_index("lane")[["office", "transport_mode", "side"]], on="lane")
    return seg[seg[col] == value]


def test_capacity_caps_the_expected_controlled_share_per_office() -> None:
    s = dataclasses.replace(default_scenario(), events=(), office_capacity={"NLRTM": 0.001})
    world = build_world(s, QUARTERS, seed=1)
    rtm = _by(world, "office", "NLRTM")
    share = (rtm.traffic * rtm.base_control).sum() / rtm.traffic.sum()
    assert share <= 0.001 + 1e-9
    assert rtm.cap_factor.max() < 1


def test_surge_multiplies_the_rate_only_where_and_when_planted() -> None:
    base = dataclasses.replace(default_scenario(), events=())
    ev = PlantedEvent("surge", "s", "2016Q3", modes=("post",), products=("shoes",), multiplier=2.0)
    a = build_world(base, QUARTERS, seed=1).segments
    b = build_world(dataclasses.replace(base, events=(ev,)), QUARTERS, seed=1).segments
    ratio = b.rate / a.rate
    hit = b.event == "s"
    assert hit.any()
    uncapped = hit & (a.rate * 2 < 0.6)  # rates are capped at 0.6
    assert uncapped.any() and np.allclose(ratio[uncapped], 2.0)
    assert np.allclose(ratio[~hit], 1.0)
    assert set(b.q[hit]) == {2, 3}
    assert set(b["product"][hit]) == {PRODUCTS.index("shoes")}


def test_displacement_conserves_infringing_consignments() -> None:
    base = dataclasses.replace(default_scenario(), events=())
    ev = PlantedEvent("displacement", "d", "2016Q1", modes=("sea",), offices=("NLRTM",), to_office="BEANR",
                      share=0.5, control_multiplier=1.0)  # fmt: skip
    a = build_world(base, QUARTERS, seed=1)
    b = build_world(dataclasses.replace(base, events=(ev,)), QUARTERS, seed=1)
    infringing = {}
    for name, w in (("a", a), ("b", b)):
        for office in ("NLRTM", "BEANR"):
            seg = _by(w, "office", office)
            infringing[name, office] = float((seg.traffic * seg.rate).sum())
    assert infringing["b", "NLRTM"] < 0.55 * infringing["a", "NLRTM"]
    total_a = infringing["a", "NLRTM"] + infringing["a", "BEANR"]
    total_b = infringing["b", "NLRTM"] + infringing["b", "BEANR"]
    assert total_b == pytest.approx(total_a, rel=0.02)  # moved, not created


def test_static_noise_depends_on_the_seed_only() -> None:
    s = default_scenario()
    a = build_world(s, QUARTERS, seed=3).segments
    b = build_world(s, QUARTERS[2:], seed=3).segments
    n = len(b)
    assert np.allclose(a.rate.to_numpy()[-n:], b.rate.to_numpy())
    c = build_world(s, QUARTERS, seed=4).segments
    assert not np.allclose(a.rate, c.rate)


def test_each_side_has_its_own_selection_policy() -> None:
    base = dataclasses.replace(default_scenario(), events=())
    a = build_world(base, QUARTERS, seed=1)
    b = build_world(dataclasses.replace(base, cn_control_factor=0.5), QUARTERS, seed=1)
    for w in (a, b):
        w.segments["side"] = w.lanes["side"].to_numpy()[w.segments["lane"].to_numpy()]
    ea, eb = (w.segments.groupby("side")["expected_cases"].sum() for w in (a, b))
    assert eb["EU"] == pytest.approx(ea["EU"])
    assert eb["CN"] < 0.8 * ea["CN"]
