from __future__ import annotations

import numpy as np

from iprisk.codes import PORTS, is_well_formed_locode
from iprisk.simulate.world import CATALOGUE, MODES, PRODUCTS, build_lanes, product_mix


def test_lane_weights_sum_to_one_per_side_flow_and_mode() -> None:
    lanes = build_lanes(cn_import_share=0.0)
    sums = lanes[lanes.weight > 0].groupby(["side", "flow", "transport_mode"])["weight"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    assert set(lanes.transport_mode) == set(MODES)


def test_offices_are_known_ports_and_every_port_is_well_formed() -> None:
    lanes = build_lanes()
    assert lanes["office"].isin(list(PORTS)).all()
    for col in ("departure_port", "arrival_port"):
        assert lanes[col].map(is_well_formed_locode).all(), col
    eu = lanes[lanes.side == "EU"]
    assert (eu["office"].str[:2] == eu["reporting_admin"]).all()  # an office belongs to its administration
    assert (lanes[lanes.side == "CN"]["office"].str[:2] == "CN").all()


def test_product_catalogue_and_mix() -> None:
    mix = product_mix()
    assert mix.shape == (len(MODES), len(PRODUCTS))
    assert np.allclose(mix.sum(axis=1), 1.0)
    assert set(CATALOGUE) == set(PRODUCTS)
    assert all(len(h) == 6 and h.isdigit() for p in CATALOGUE.values() for h in p.hs_codes)
