from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iprisk.periods import Quarter, quarter_range


@pytest.mark.parametrize("text", ["2016Q3", "2016-Q3", "2016q3", " 2016Q3 "])
def test_parse_accepts_common_spellings(text: str) -> None:
    assert Quarter.parse(text) == Quarter(2016, 3)


@pytest.mark.parametrize("text", ["2016Q5", "2016", "Q3 2016", "16Q3", ""])
def test_parse_rejects_and_names_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a quarter"):
        Quarter.parse(text)


def test_bounds() -> None:
    q = Quarter(2016, 1)
    assert q.start == date(2016, 1, 1)
    assert q.end == date(2016, 3, 31)
    assert Quarter(2016, 4).end == date(2016, 12, 31)


@given(st.integers(1990, 2100), st.integers(1, 4), st.integers(-40, 40))
def test_arithmetic_round_trips(year: int, q: int, n: int) -> None:
    quarter = Quarter(year, q)
    assert (quarter + n) - n == quarter
    assert (quarter + n).index() - quarter.index() == n
    assert Quarter.parse(str(quarter)) == quarter
    assert Quarter.of(quarter.start) == quarter == Quarter.of(quarter.end)


def test_range_is_inclusive() -> None:
    qs = quarter_range(Quarter(2015, 3), Quarter(2016, 2))
    assert [str(q) for q in qs] == ["2015Q3", "2015Q4", "2016Q1", "2016Q2"]
