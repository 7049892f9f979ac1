"""The document model: messages filled with numbers that stay numbers, and numbers written per language."""

from __future__ import annotations

import math

import pytest

from iprisk.i18n import Text
from iprisk.reports.document import Calc, Code, Num, Para, Period, Src, calculate, join, rich


def _num(value: float, style: str = "int") -> Num:
    return Num(value, style, Src("t", "c"))  # type: ignore[arg-type]


def test_rich_keeps_numbers_codes_and_periods_as_parts() -> None:
    n = _num(2601)
    para = rich(
        Text("zh"), "The busiest lane was {lane}, with {cases} cases.", lane=Code("CNPVG -> DEFRA"), cases=n
    )
    assert para.parts == ("案件最多的航线为", Code("CNPVG -> DEFRA"), "，共", n, "起。")
    assert para.plain(Text("zh")) == "案件最多的航线为CNPVG -> DEFRA，共2,601起。"
    # a paragraph given for a placeholder is spliced in, adjacent strings merged
    inner = rich(Text("en"), "{office} ({mode})", office=Code("NLRTM"), mode="Sea")
    outer = rich(Text("en"), "{quarter}: {sentence}", quarter=Period("2016Q3", "2016Q3"), sentence=inner)
    assert outer.parts == (Period("2016Q3", "2016Q3"), ": ", Code("NLRTM"), " (Sea)")


def test_join_lists_items_the_way_each_language_does() -> None:
    items = [Code("DEHAM"), Code("NLRTM"), Code("BEANR")]
    assert join(Text("en"), items).plain(Text("en")) == "DEHAM, NLRTM, BEANR"
    assert join(Text("zh"), items).plain(Text("zh")) == "DEHAM、NLRTM、BEANR"
    assert join(Text("en"), []) == Para(())


@pytest.mark.parametrize(
    ("value", "style", "en", "zh"),
    [
        (2601, "int", "2,601", "2,601"),
        (-81, "signed_int", "-81", "-81"),
        (37, "signed_int", "+37", "+37"),
        (1_917_922, "amount", "1.92 million", "192万"),
        (123_456, "amount", "123,000", "12.3万"),
        (28_127_822.79, "amount", "28.1 million", "2810万"),
        (9_919, "amount", "9,919", "9,919"),
        (0.6190, "signed_pct", "+0.6", "+0.6"),
        (43.1, "pct", "43.1", "43.1"),
        (0.04497, "dec3", "0.045", "0.045"),
        (0.000425533, "sig2", "0.00043", "0.00043"),
        (math.nan, "pct", "n/a", "无数据"),
    ],
)
def test_numbers_are_written_alike_in_both_languages(value: float, style: str, en: str, zh: str) -> None:
    n = _num(value, style)
    assert (n.text(Text("en")), n.text(Text("zh"))) == (en, zh)


def test_calculations_and_their_zero_bases() -> None:
    assert calculate("pct_change", [2601, 2585]) == pytest.approx(100 * 16 / 2585)
    assert calculate("pct", [1, 4]) == 25.0
    assert calculate("percent", [0.431]) == pytest.approx(43.1)
    assert calculate("diff", [5, 7]) == -2
    assert calculate("sum", [1, 2, 3]) == 6
    assert math.isnan(calculate("pct_change", [3, 0]))  # no base: n/a, never infinity
    assert str(
        Calc("ratio", (Src("signals", "observed", (("quarter", "2016Q2"),)), Src("totals", "cases")))
    ) == ("ratio(signals.observed[quarter=2016Q2], totals.cases)")
    assert str(Src("lanes", "cases", (), "sum")) == "sum(lanes.cases)"
