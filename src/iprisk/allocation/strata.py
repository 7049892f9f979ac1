"""The stratum of a seizure line, a trade row or a declaration: office, route and product group.

A *route* is the transport mode and the lane it runs on (:mod:`iprisk.lanes`), ``"sea CNSHA -> NLRTM"``. With
the office it names one flow of goods: at an EU office of import the departure port tells the routes apart,
at a Chinese port of export the arrival port does. The same text is built from the seizures, the trade table
and the declarations, so their strata meet.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from iprisk.codes.hs import categories_for_hs
from iprisk.lanes import SEPARATOR, lane_column, lane_keys


def route_text(mode: pd.Series, departure: pd.Series, arrival: pd.Series) -> pd.Series:
    """``"<mode> <lane>"`` for pandas columns."""
    return mode.astype(str) + " " + lane_keys(departure, arrival)


def route_expr(t: ir.Table) -> ir.StringValue:
    """The same route text as an engine expression over a seizures or trade table."""
    return t.transport_mode.concat(" ", lane_column(t.departure_port, t.arrival_port))


def route_parts(routes: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Mode, departure port and arrival port of route texts."""
    mode, lane = routes.astype(str).str.split(" ", n=1).str[0], routes.astype(str).str.split(" ", n=1).str[1]
    ends = lane.fillna("").str.split(SEPARATOR, n=1, regex=False)
    return mode, ends.str[0].fillna(""), ends.str[1].fillna("")


def as_ibis(table: ir.Table | pd.DataFrame | pa.Table) -> ir.Table:
    """An Ibis table from a warehouse table, a pandas frame or an Arrow table."""
    if isinstance(table, ir.Table):
        return table
    return ibis.memtable(table)


def declaration_strata(declarations: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """One row per declaration: its stratum, quarter, whether it was controlled, with what propensity, and
    whether an infringement was found in any of its items. The product group is the declaration's own
    ``product_category`` column when it has one, else that of its first item's HS code."""
    cols = [
        "declaration_id",
        "item_no",
        "date",
        "office",
        "transport_mode",
        "departure_port",
        "arrival_port",
        "hs_code",
        "controlled",
        "infringement",
        "selection_propensity",
        "product_category",
    ]
    if isinstance(declarations, pa.Table):
        present = [c for c in cols if c in declarations.column_names]
        frame = declarations.select(present).to_pandas()
    else:
        frame = declarations[[c for c in cols if c in declarations.columns]].copy()
    missing = [
        c
        for c in ("declaration_id", "date", "office", "transport_mode", "hs_code", "controlled")
        if c not in frame
    ]
    if missing:
        raise ValueError(f"declarations lack column(s) {missing}")
    if "item_no" not in frame:
        frame["item_no"] = 1
    for port in ("departure_port", "arrival_port"):
        if port not in frame:
            frame[port] = ""
    if "selection_propensity" not in frame:
        frame["selection_propensity"] = np.nan
    hit = frame["infringement"] if "infringement" in frame else pd.Series(False, index=frame.index)
    hit = hit.astype("boolean").fillna(False).to_numpy(dtype=bool)
    # integer codes, not strings, for grouping: a million item rows take a fraction of a second
    codes = pd.factorize(frame["declaration_id"])[0]
    found = np.bincount(codes, hit).astype(bool)
    order = np.lexsort((frame["item_no"].to_numpy(), codes))
    firsts = order[np.r_[True, np.diff(codes[order]) != 0]]
    first = frame.iloc[firsts].assign(found=found[codes[firsts]])
    if "product_category" in first:
        categories = pa.array(first["product_category"].astype(str).tolist(), pa.string())
    else:
        categories = categories_for_hs(pa.array(first["hs_code"].astype(str).tolist(), pa.string()))
    dates = pd.to_datetime(first["date"])
    year, quarter = dates.dt.year.to_numpy(), dates.dt.quarter.to_numpy()
    labels = {(y, q): f"{y}Q{q}" for y, q in set(zip(year.tolist(), quarter.tolist(), strict=True))}
    out = pd.DataFrame(
        {
            "declaration_id": first["declaration_id"].to_numpy(),
            "quarter": np.array(
                [labels[k] for k in zip(year.tolist(), quarter.tolist(), strict=True)], dtype=object
            ),
            "office": first["office"].astype(str).to_numpy(),
            "route": route_text(
                first["transport_mode"], first["departure_port"], first["arrival_port"]
            ).to_numpy(),
            "product_category": np.asarray(categories.to_pylist(), dtype=object),
            "transport_mode": first["transport_mode"].astype(str).to_numpy(),
            "controlled": first["controlled"].fillna(False).astype(bool).to_numpy(),
            "found": first["found"].to_numpy(dtype=bool),
            "propensity": pd.to_numeric(first["selection_propensity"], errors="coerce").to_numpy(),
        }
    )
    return out.reset_index(drop=True)


__all__ = ["as_ibis", "declaration_strata", "route_expr", "route_parts", "route_text"]
