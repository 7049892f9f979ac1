from __future__ import annotations

import numpy as np
import pandas as pd

from iprisk.analysis._baseline import nb_upper
from iprisk.analysis.events import CellCounts, assign_events

TOYS = (("product_category", "toys"),)
DEHAM_TOYS = (("office", "DEHAM"), ("product_category", "toys"))


def _toys_and_deham_toys(observed_deham: float, *, p_cutoff: float) -> pd.DataFrame:
    """Toys (expected 100, DEHAM a tenth of them) rose to 250; DEHAM toys (expected 10) to
    ``observed_deham``; both significant."""
    quarters = [f"2020Q{q}" for q in (1, 2, 3, 4)] + ["2021Q1"]
    values = pd.DataFrame({"office": ["DEHAM", "NLRTM", "BEANR"], "product_category": ["toys"] * 3})
    history = np.array([[10.0] * 5, [45.0] * 5, [45.0] * 5])
    observed = np.array([250.0, observed_deham])
    expected = np.array([100.0, 10.0])
    alpha = np.array([0.02, 0.1])
    sig = pd.DataFrame(
        {
            "quarter": "2021Q1",
            "direction": "up",
            "key": [TOYS, DEHAM_TOYS],
            "depth": [1, 2],
            "observed": observed,
            "expected": expected,
            "alpha_eff": alpha,
            "p_value": nb_upper(observed, expected, alpha),
        }
    )
    cells = CellCounts(values, history, quarters)
    return assign_events(sig, cells, p_cutoff={"2021Q1": p_cutoff}, history=4)


def test_a_narrow_rise_inside_a_broad_one_is_judged_against_the_rest_of_it() -> None:
    # 60 DEHAM toys: against the rate of all toys (x2.5, inflated by DEHAM's own extra cases) p = 1.9e-3,
    # explained at a cutoff of 1e-3; against the rest of toys (190 for 90: x2.11) p = 2.3e-4, its own event
    events = _toys_and_deham_toys(60.0, p_cutoff=1e-3)
    assert list(events["role"]) == ["headline", "headline"]


def test_a_part_that_rose_like_the_rest_stays_under_it() -> None:
    # 25 DEHAM toys rose as all toys did: a share of the broad event, not a story of its own
    events = _toys_and_deham_toys(25.0, p_cutoff=0.05)
    assert list(events["role"]) == ["headline", "narrower"]
    assert events["head"].tolist() == [0, 0]
