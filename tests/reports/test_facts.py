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


def _rows_by_pandas(frame: pd.DataFrame, **where: object) -> pd.DataFrame:
    """The selection as plain pandas comparisons say it (what ``Facts.rows`` computes from its codes)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        col = frame[column]
        mask &= (col.isna() | (col.astype(str) == "")) if value is None else (col == value)
    return frame[mask]


def test_rows_select_what_pandas_comparisons_select() -> None:
    frame = pd.DataFrame(
        {
            "key": ["a", "", None, "b", "a", np.nan, "b"],
            "year": ["2016", "2016", "2017", "2017", "2017", "2016", "2016"],
            "n": [1, 2, 2, 3, 1, 1, 2],
            "x": [0.5, 2.0, 2.0, np.nan, 1.0, 0.5, 3.0],
            "cat": pd.Categorical(["u", "v", "u", None, "v", "u", "v"]),
        }
    )
    facts = Facts({"t": frame})
    wheres = [{"key": k, "year": y} for k in ("a", "b", "", None, "zz") for y in ("2016", "2017", 2016)] + [
        {"n": 2},
        {"n": 2.0},
        {"x": 2},
        {"x": None},
        {"cat": "u"},
        {"cat": None},
        {"n": 1, "x": 0.5},
    ]
    for where in wheres:
        got, want = facts.rows("t", **where), _rows_by_pandas(frame, **where)  # type: ignore[arg-type]
        assert list(got.index) == list(want.index), where


def test_a_table_replaced_is_read_anew(facts: Facts) -> None:
    assert facts.num("lanes", "cases", "int", lane="A -> B").value == 3
    facts.add("lanes", pd.DataFrame({"lane": ["C -> D", "A -> B"], "cases": [5, 6]}))
    assert facts.num("lanes", "cases", "int", lane="A -> B").value == 6
