"""Trade statistics of the synthetic world (the ``trade`` table), so that seizure counts can be normalised.

Consignments and value per quarter x lane x HS chapter x product category, at the same ``scale`` as the
seizure statistics. A lane is reporter x flow x office x mode x provenance x departure port x destination x
arrival port, so the ports are filled and the traffic of a lane (``departure_port -> arrival_port``) is known.
A product's traffic is spread evenly over its HS codes.

Consignments are whole numbers. They are rounded per group of lanes that differ only by their ports, then
shared among the ports by largest remainder, so the totals are exactly those of a table without ports
(``ports=False``): splitting by port changes no office, quarter or product total.
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
_PORTS = ("departure_port", "arrival_port")


def _lane_key(lanes: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """An integer per lane, equal for lanes that agree on ``cols``."""
    key: np.ndarray = lanes[cols].astype(str).agg("|".join, axis=1).factorize()[0]
    return key


def trade_table(world: World, scale: float, *, ports: bool = True) -> pa.Table:
    """The trade-statistics table of ``world`` at ``scale`` (rows with no consignment are left out).

    With ``ports=False`` the lanes that differ only by their ports are one row, with empty ports (the shape of
    national statistics known per office only); the totals are the same either way.
    """
    seg = world.segments
    lanes = world.lanes
    fine_cols = [k for k in _KEYS if k in lanes.columns]
    coarse_cols = [k for k in fine_cols if k not in _PORTS]
    fine_key, coarse_key = _lane_key(lanes, fine_cols), _lane_key(lanes, coarse_cols)
    # Product -> chapters with equal weight per HS code, unique per (product, chapter).
    rows = [(i, h[:2]) for i, p in enumerate(PRODUCTS) for h in CATALOGUE[p].hs_codes]
    chap = pd.DataFrame(rows, columns=["product", "hs_chapter"])
    chap["w"] = 1.0 / chap.groupby("product")["product"].transform("size")
    chap_w = chap.groupby(["product", "hs_chapter"], as_index=False).agg(w=("w", "sum"))
    df = seg[["q", "lane", "product", "traffic"]].merge(chap_w, on="product")
    lane = df["lane"].to_numpy()
    df["coarse"], df["fine"] = coarse_key[lane], fine_key[lane]
    mode = lanes["transport_mode"].to_numpy()[lane]
    df["consignments"] = df["traffic"] * df["w"] * scale
    mass = pd.Series(mode).map(MASS_MEDIAN).to_numpy() * np.exp(0.8**2 / 2)
    value_kg = np.array([CATALOGUE[p].value_per_kg for p in PRODUCTS])[df["product"].to_numpy()]
    df["value_eur"] = df["consignments"] * mass * value_kg * np.exp(VALUE_NOISE_SIGMA**2 / 2)
    group = ["q", "coarse", "product", "hs_chapter"]
    if ports:
        out = df.groupby([*group, "fine"], sort=True, as_index=False)[["consignments", "value_eur"]].sum()
        out["consignments"], out["value_eur"] = _share_out(out, group)
        key, key_cols = "fine", fine_cols
    else:
        out = df.groupby(group, sort=True, as_index=False)[["consignments", "value_eur"]].sum()
        out["consignments"] = np.rint(out["consignments"])
        key, key_cols = "coarse", coarse_cols
    first_lane = lanes.assign(key=fine_key if ports else coarse_key).drop_duplicates("key").set_index("key")
    out = out.join(first_lane[key_cols], on=key)
    for col in _PORTS:
        if col not in out.columns:
            out[col] = None
    out["quarter"] = np.array([str(q) for q in world.quarters])[out["q"].to_numpy()]
    out["product_category"] = np.array(PRODUCTS)[out["product"].to_numpy()]
    out["consignments"] = out["consignments"].astype(np.int64)
    out["value_eur"] = out["value_eur"].round(2)
    out = out[out["consignments"] > 0]
    return pa.Table.from_pandas(out[TRADE_SCHEMA.names], schema=TRADE_SCHEMA, preserve_index=False)


def _share_out(out: pd.DataFrame, group: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Whole consignments per row whose sum per ``group`` is the group's rounded total (largest remainder),
    and the group's value shared in proportion (a group is one mode and product: one value per consignment).
    """
    by = out.groupby(group, sort=False)
    raw = out["consignments"].to_numpy()
    floor = np.floor(raw)
    target = np.rint(by["consignments"].transform("sum").to_numpy())
    deficit = target - pd.Series(floor, index=out.index).groupby([out[g] for g in group]).transform("sum")
    rank = pd.Series(floor - raw, index=out.index).groupby([out[g] for g in group]).rank(method="first") - 1
    alloc = floor + (rank.to_numpy() < deficit.to_numpy())
    value = by["value_eur"].transform("sum").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        shared = np.where(target > 0, value * alloc / target, 0.0)
    return alloc, shared
