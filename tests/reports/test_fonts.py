"""The report font: found through fontconfig, and a report whose text it cannot draw is refused."""

from __future__ import annotations

import pytest

from iprisk.errors import InvalidInput, NotFound
from iprisk.reports.fonts import MissingGlyphs, check_glyphs, coverage, report_fonts


def test_the_default_family_covers_latin_and_chinese() -> None:
    regular, bold = report_fonts()
    assert regular.family == bold.family == "Noto Sans CJK SC"
    assert regular.path.exists() and bold.bold and not regular.bold
    drawable = coverage(regular) & coverage(bold)
    for char in "2,601 cases → 案件数 · 2017年第四季度（万亿）%€":
        assert ord(char) in drawable, char


def test_a_missing_glyph_is_named_with_where_it_is() -> None:
    check_glyphs([("Table 1", "案件数 12.3万"), ("Figure 2", "CNSHA -> NLRTM")])  # nothing missing
    with pytest.raises(MissingGlyphs) as caught:
        check_glyphs([("Table 1", "fine"), ("Table 3", "Ölfeld 🚢 \u0d85 🚢")])
    err = caught.value
    assert isinstance(err, InvalidInput) and err.total == 2  # each missing character once
    assert [(p.value, p.column, p.rule) for p in err.problems] == [
        ("🚢", "Table 3", "missing-glyph"),
        ("\u0d85", "Table 3", "missing-glyph"),
    ]
    assert "U+1F6A2 SHIP" in str(err)


def test_an_unknown_family_is_not_found() -> None:
    with pytest.raises(NotFound, match="No Such Font Family"):
        report_fonts("No Such Font Family")
