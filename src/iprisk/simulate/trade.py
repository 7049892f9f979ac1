"""Trade statistics of the synthetic world (the ``trade`` table), so that seizure counts can be normalised.

Consignments and value per quarter x reporter x flow x office x mode x provenance x destination x HS chapter,
at the same ``scale`` as the seizure statistics. A product's traffic is spread evenly over its HS codes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from iprisk.formats.trade import TRADE_SCHEMA
from iprisk.simulate.latent import VALUE_NOISE_SIGMA, World
from iprisk.simulate.world import CATALOGUE, MASS_MEDIAN, PRODUCTS

# The trade table's dimensions: every text column of its schema.
_KEYS = [f.name for f in TRADE_SCHEMA if pa.types.is_string(f.type)]


def trade_table(world: World, scale: float) -> pa.Table:
    """The trade-statistics table of ``world`` at ``scale`` (rows with no consignment are left out)."""
    seg = world.segments
    lanes = world.lanes
    lane_cols = [k for k in _KEYS if k in lanes.columns]
    # Lanes that differ only by departure port are one row of the trade table.
    lane_key = lanes[lane_cols].astype(str).agg("|".join, axis=1).factorize()[0]
    first_lane = lanes.assign(key=lane_key).drop_duplicates("key").set_index("key")[lane_cols]
    # Product -> chapters with equal weight per HS code, unique per (product, chapter).
    rows = [(i, h[:2]) for i, p in enumerate(PRODUCTS) for h in CATALOGUE[p].hs_codes]
    chap = pd.DataFrame(rows, columns=["product", "hs_chapter"])
    chap["w"] = 1.0 / chap.groupby("product")["product"].transform("size")
    chap_w = chap.groupby(["product", "hs_chapter"], as_index=False).agg(w=("w", "sum"))
    df = seg[["q", "lane", "product", "traffic"]].merge(chap_w, on="product")
    df["key"] = lane_key[df["lane"].to_numpy()]
    mode = lanes["transport_mode"].to_numpy()[df["lane"].to_numpy()]
    df["consignments"] = df["traffic"] * df["w"] * scale
    mass = pd.Series(mode).map(MASS_MEDIAN).to_numpy() * np.exp(0.8**2 / 2)
    value_kg = np.array([CATALOGUE[p].value_per_kg for p in PRODUCTS])[df["product"].to_numpy()]
    df["value_eur"] = df["consignments"] * mass * value_kg * np.exp(VALUE_NOISE_SIGMA**2 / 2)
    out = df.groupby(["q", "key", "product", "hs_chapter"], sort=True, as_index=False)[
        ["consignments", "value_eur"]
    ].sum()
    out = out.join(first_lane, on="key")
    out["quarter"] = np.array([str(q) for q in world.quarters])[out["q"].to_numpy()]
    out["product_category"] = np.array(PRODUCTS)[out["product"].to_numpy()]
    out["consignments"] = np.rint(out["consignments"]).astype(np.int64)
    out["value_eur"] = out["value_eur"].round(2)
    out = out[out["consignments"] > 0]
    return pa.Table.from_pandas(out[TRADE_SCHEMA.names], schema=TRADE_SCHEMA, preserve_index=False)
