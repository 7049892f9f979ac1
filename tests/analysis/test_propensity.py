from __future__ import annotations

import ibis
import pytest

from iprisk.analysis import propensity


def test_propensity_products_and_provenance(full: ibis.Table, trade: ibis.Table) -> None:
    p = propensity(full, trade, by="hs_chapter")
    row = p[p["hs_chapter"] == "95"].iloc[0]  # every seized line is chapter 95, a quarter of the trade
    assert row["seizure_share"] == pytest.approx(1.0)
    assert row["factor"] == pytest.approx(1.0 / row["trade_share"])
    e = propensity(full, trade, by="provenance_country")
    assert e.iloc[0]["factor"] >= e.dropna(subset=["factor"])["factor"].iloc[-1]
    assert {"CN", "HK"} <= set(e["provenance_country"])
