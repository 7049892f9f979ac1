from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from iprisk.analysis import SIGNAL_COLUMNS, SIGNAL_DIMENSIONS, segment_tests, signals
from iprisk.analysis._baseline import benjamini_hochberg, nb_lower, nb_upper
from iprisk.analysis._segments import count_segments
from tests.analysis.worlds import World, evaluate


def test_benjamini_hochberg_matches_the_textbook_procedure() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5])
    q = benjamini_hochberg(p)
    assert q == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    assert (q[np.argsort(p)] == np.maximum.accumulate(q[np.argsort(p)])).all()


def test_negative_binomial_tails_are_calibrated() -> None:
    rng = np.random.default_rng(1)
    mu, a = 20.0, 0.1
    y = rng.negative_binomial(1 / a, 1 / (1 + a * mu), 200_000)
    p = nb_upper(y, np.full(y.shape, mu), a)
    assert (p <= 0.01).mean() == pytest.approx(0.01, abs=0.003)
    assert (nb_lower(y, np.full(y.shape, mu), a) <= 0.01).mean() <= 0.011


def test_columns_and_a_planted_surge_at_its_segment(world: World, lines: ibis.Table) -> None:
    s = signals(lines)
    assert list(s.columns) == list(SIGNAL_COLUMNS)
    assert set(s["direction"]) <= {"up", "down", "new"}
    assert (s["q_value"] <= 0.05).all()
    assert s.groupby("quarter")["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1))).all()
    q = evaluate(s, world)
    assert q.detected >= 2, world.planted
    # facts, not sentences: an up or down test read the eight quarters of history before it
    assert (s.loc[s["direction"] != "new", "span"] == 8).all()


def test_one_event_headed_by_the_child_with_its_parents_under_it() -> None:
    rng = np.random.default_rng(7)
    rows = []
    quarters = [f"{y}Q{q}" for y in (2019, 2020, 2021) for q in (1, 2, 3, 4)]
    for i, qu in enumerate(quarters):
        for office in ("NLRTM", "DEHAM", "BEANR"):
            for cat in ("toys", "shoes", "clothing"):
                lam = 25.0 * (3.0 if (office == "DEHAM" and cat == "toys" and i >= 10) else 1.0)
                for j in range(rng.poisson(lam)):
                    rows.append(
                        (qu, office[:2], f"{qu}{office}{cat}{j}", office, "sea", "CN", cat, "trademark")
                    )
    cols = [
        "quarter",
        "reporting_admin",
        "case_id",
        "office",
        "transport_mode",
        "provenance_country",
        "product_category",
        "ipr_type",
    ]
    s = signals(ibis.memtable(pd.DataFrame(rows, columns=cols)), start="2021Q3", end="2021Q3")
    up = s[s["direction"] == "up"]
    # one event: the planted child is its headline, the parents it explains are listed under it
    assert up["event_id"].nunique() == 1, up
    head = up[up["role"] == "headline"]
    assert len(head) == 1 and head.iloc[0]["product_category"] == "toys"
    assert head.iloc[0]["office"] == "DEHAM" or head.iloc[0]["reporting_admin"] == "DE"
    broader = up[up["role"] == "broader"]
    assert len(broader) >= 1 and set(broader["office"]) | set(broader["product_category"]) <= {
        "",
        "DEHAM",
        "toys",
    }
    # the child's 51 extra cases carry most of each parent's rise
    assert (broader["share"] > 0.8).all()


def test_drops_and_new_segments() -> None:
    rows = []
    quarters = [f"{y}Q{q}" for y in (2019, 2020, 2021) for q in (1, 2, 3, 4)]
    for i, qu in enumerate(quarters):
        for office in ("NLRTM", "DEHAM"):
            n = 40 if not (office == "NLRTM" and i == 11) else 3
            rows += [(qu, office[:2], f"{qu}{office}{j}", office, "CN") for j in range(n)]
        if i == 11:
            rows += [(qu, "BE", f"{qu}BE{j}", "BEANR", "VN") for j in range(12)]
    cols = ["quarter", "reporting_admin", "case_id", "office", "provenance_country"]
    t = ibis.memtable(pd.DataFrame(rows, columns=cols)).mutate(
        transport_mode=ibis.literal("sea"),
        product_category=ibis.literal("toys"),
        ipr_type=ibis.literal("design"),
    )
    s = signals(t, start="2021Q4")
    down = s[s["direction"] == "down"]
    new = s[s["direction"] == "new"]
    # one drop, told once: NLRTM heads its event, the totals it pulls down sit under it
    assert down["event_id"].nunique() == 1
    head = down[down["role"] == "headline"]
    assert len(head) == 1 and head.iloc[0]["office"] == "NLRTM"
    assert set(down.loc[down["role"] != "headline", "role"]) <= {"broader"}
    assert len(new) == 1 and new.iloc[0]["observed"] == 12
    assert new.iloc[0]["previous"] == 0 and new.iloc[0]["span"] > 0  # nothing before, for that long


def _offices_by_category(quarters: list[str], surge_from: int) -> pd.DataFrame:
    """Three offices x three categories, 25 cases a quarter each; DEHAM toys tripled from ``surge_from``."""
    rng = np.random.default_rng(11)
    rows = []
    for i, qu in enumerate(quarters):
        for office in ("NLRTM", "DEHAM", "BEANR"):
            for cat in ("toys", "shoes", "clothing"):
                lam = 25.0 * (3.0 if (office == "DEHAM" and cat == "toys" and i >= surge_from) else 1.0)
                rows += [
                    (qu, office[:2], f"{qu}{office}{cat}{j}", office, "sea", "CN", cat, "trademark")
                    for j in range(rng.poisson(lam))
                ]
    cols = ["quarter", "reporting_admin", "case_id", "office", "transport_mode", "provenance_country"]
    return pd.DataFrame(rows, columns=[*cols, "product_category", "ipr_type"])


def test_signals_from_the_fifth_quarter_with_a_short_history() -> None:
    quarters = [f"{y}Q{q}" for y in (2020, 2021) for q in (1, 2, 3, 4)][:6]
    lines = ibis.memtable(_offices_by_category(quarters, surge_from=5))
    tests = segment_tests(count_segments(lines, "cases", list(SIGNAL_DIMENSIONS)))
    assert sorted(set(tests["quarter"])) == quarters[4:]  # the fifth quarter is the first tested
    assert (tests.loc[tests["direction"] != "new", "span"] == tests["quarter"].map(quarters.index)).all()
    s = signals(lines)
    up = s[(s["direction"] == "up") & (s["role"] == "headline")]
    assert list(up["quarter"]) == [quarters[5]], s
    assert (up.iloc[0]["office"], up.iloc[0]["product_category"]) == ("DEHAM", "toys")
    with pytest.raises(ValueError, match="min_history"):
        signals(lines, min_history=3)
