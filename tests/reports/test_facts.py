"""Numbers read from the report's tables: a cell, an aggregate or a calculation, each with its origin."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from iprisk.reports.document import Calc, Param, Src
from iprisk.reports.facts import PARAMETERS, Facts


@pytest.fixture
def facts() -> Facts:
    signals = pd.DataFrame(
        {
            "quarter": ["2016Q2", "2016Q2", "2016Q3"],
            "direction": ["up", "new", "up"],
            "office": [None, "NLRTM", np.nan],
            "observed": [29, 5, 40],
        }
    )
    return Facts({"signals": signals, "lanes": pd.DataFrame({"lane": ["A -> B", "C -> D"], "cases": [3, 4]})})


def test_a_cell_is_found_by_its_key_and_remembers_it(facts: Facts) -> None:
    n = facts.num("signals", "observed", "int", quarter="2016Q2", office=None)  # None: the dimension is empty
    assert n.value == 29
    assert n.origin == Src("signals", "observed", (("quarter", "2016Q2"), ("office", None)))
    assert facts.num("signals", "observed", "int", quarter="2016Q3", office=None).value == 40


def test_aggregates(facts: Facts) -> None:
    assert facts.num("lanes", "cases", "int", agg="sum").value == 7
    assert facts.num("signals", "observed", "int", agg="count", direction="up").value == 2
    assert facts.num("signals", "observed", "int", agg="max").value == 40
    assert facts.num("signals", "observed", "int", agg="sum", quarter="2017Q1").value == 0  # no rows: zero


def test_a_key_that_selects_several_rows_or_none_is_an_error(facts: Facts) -> None:
    with pytest.raises(LookupError, match="selects 2 rows"):
        facts.num("signals", "observed", "int", quarter="2016Q2")
    with pytest.raises(LookupError, match="selects 0 rows"):
        facts.num("lanes", "cases", "int", lane="X -> Y")


def test_calculations_and_parameters(facts: Facts) -> None:
    a = facts.num("lanes", "cases", "int", lane="C -> D")
    b = facts.num("lanes", "cases", "int", lane="A -> B")
    change = facts.calc("pct_change", a, b, style="signed_pct")
    assert change.value == pytest.approx(100 / 3)
    assert change.origin == Calc("pct_change", (a.origin, b.origin))
    assert facts.param("min_incidence_cases").value == PARAMETERS["min_incidence_cases"]
    assert facts.param("min_incidence_cases").origin == Param("min_incidence_cases")
    with pytest.raises(ValueError, match="unknown operation"):
        facts.calc("mean", a, b, style="dec1")
    facts.add("derived", pd.DataFrame({"x": [1.5]}))
    assert facts.num("derived", "x", "dec1").value == 1.5
    assert math.isnan(
        facts.calc(
            "ratio", a, facts.num("signals", "observed", "int", agg="sum", quarter="x"), style="dec1"
        ).value
    )
