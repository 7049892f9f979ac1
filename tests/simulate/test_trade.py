from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from iprisk.formats.trade import TRADE_SCHEMA
from iprisk.periods import Quarter, quarter_range
from iprisk.simulate.latent import World, build_world
from iprisk.simulate.scenario import default_scenario
from iprisk.simulate.trade import trade_table

PORTS = ["departure_port", "arrival_port"]
# The text columns but the ports: the rows of a trade table without ports.
COARSE = [f.name for f in TRADE_SCHEMA if pa.types.is_string(f.type) and f.name not in PORTS]


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(default_scenario(), quarter_range(Quarter.parse("2016Q3"), Quarter.parse("2016Q4")), 3)


def test_one_row_per_lane_with_its_ports(world: World) -> None:
    trade = trade_table(world, 0.05)
    assert trade.schema.equals(TRADE_SCHEMA)
    df = trade.to_pandas()
    assert (df[PORTS] != "").all().all() and df[PORTS].notna().all().all()
    lane_cols = [c for c in TRADE_SCHEMA.names if c in world.lanes.columns]
    keys = [*lane_cols, "quarter", "hs_chapter", "product_category"]
    assert not df.duplicated(keys).any()
    # every lane of the world that carries traffic is there, ports included
    lanes = world.lanes.set_index(lane_cols).index
    assert set(df.set_index(lane_cols).index) <= set(lanes)
    assert (
        df.groupby(["office", "transport_mode", "provenance_country"])["departure_port"].nunique().max() > 1
    )


@pytest.mark.parametrize("scale", [0.05, 1.0])
def test_splitting_by_port_keeps_every_total(world: World, scale: float) -> None:
    with_ports = trade_table(world, scale).to_pandas()
    without = trade_table(world, scale, ports=False).to_pandas()
    assert without[PORTS].isna().all().all()
    assert len(with_ports) > len(without)
    for keys in (["office", "quarter"], COARSE):
        a = with_ports.groupby(keys)[["consignments", "value_eur"]].sum()
        b = without.groupby(keys)[["consignments", "value_eur"]].sum()
        assert a.index.equals(b.index)
        assert (a["consignments"] == b["consignments"]).all()  # whole consignments, the same totals
        np.testing.assert_allclose(a["value_eur"], b["value_eur"], rtol=1e-9, atol=0.01 * 8)  # cent rounding
    # and the totals are the world's traffic at this scale, up to rounding per row
    seg = world.segments.assign(office=world.lanes["office"].to_numpy()[world.segments["lane"].to_numpy()])
    expected = seg.groupby(["q", "office"])["traffic"].sum() * scale
    got = with_ports.assign(q=with_ports["quarter"].map({str(q): i for i, q in enumerate(world.quarters)}))
    got = got.groupby(["q", "office"])["consignments"].sum()
    both = pd.concat([expected.rename("expected"), got.rename("got")], axis=1).fillna(0)
    assert np.allclose(both["got"], both["expected"], rtol=0.02, atol=50)
