"""One lane key for the analysis (Ibis, in the engine) and the targeting features (pandas)."""

from __future__ import annotations

import ibis
import pandas as pd

from iprisk.lanes import lane_column, lane_key, lane_keys

PORTS = [("CNSHA", "NLRTM"), ("CNSHA", None), (None, "DEHAM"), ("", ""), ("CNNGB", " ")]


def test_the_engine_and_pandas_write_the_same_key() -> None:
    frame = pd.DataFrame(PORTS, columns=["departure_port", "arrival_port"])
    t = ibis.memtable(frame)
    in_engine = t.select(lane=lane_column(t.departure_port, t.arrival_port)).to_pandas()["lane"].tolist()
    in_pandas = lane_keys(frame["departure_port"], frame["arrival_port"]).tolist()
    one_by_one = [lane_key(d, a) for d, a in PORTS]
    assert in_engine == in_pandas == one_by_one
    assert one_by_one == ["CNSHA -> NLRTM", "CNSHA -> ?", "? -> DEHAM", "? -> ?", "CNNGB -> ?"]
