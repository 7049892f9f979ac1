"""The summary of the joint analysis, in English (as it always read) and in Chinese."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from iprisk.analysis import Analysis, analyse
from iprisk.i18n import Text
from iprisk.reports import summary_markdown
from iprisk.reports.summary import _highest_incidence
from tests.analysis.worlds import canonical_lines, make_world, trade_table


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    world = make_world(5, n_cells=120)
    return analyse(ibis.memtable(canonical_lines(world)), ibis.memtable(trade_table(world)))


def test_every_section_in_english(analysis: Analysis) -> None:
    text = summary_markdown(analysis, {"signals": "signals.png"})
    assert text.startswith(f"# Joint analysis of IPR detentions, {analysis.start} to {analysis.end}\n")
    for heading in (
        "Trends",
        "Emerging risks",
        "Where detentions concentrate",
        "Mirror",
        "Propensity",
        "Displacement",
    ):
        assert f"\n## {heading}" in text
    assert "![Top signals](signals.png)" in text and "trend_transport_mode" not in text
    n = len(analysis.signals)
    assert f"{n} signal{'' if n == 1 else 's'} over the period" in text


def test_the_same_findings_in_chinese(analysis: Analysis) -> None:
    text = summary_markdown(analysis, {"signals": "signals.zh.png"}, locale="zh")
    first, last = Text("zh").quarter(analysis.start), Text("zh").quarter(analysis.end)
    assert text.startswith(f"# 知识产权侵权货物扣留联合分析（{first}至{last}）\n")
    for heading in ("趋势", "新出现的风险", "扣留集中在哪里", "镜像分析", "倾向性", "转移"):
        assert f"\n## {heading}" in text
    assert "![主要信号](signals.zh.png)" in text
    assert f"本期共有{len(analysis.signals)}个信号" in text
    # every sentence is translated: no English word of the English summary is left
    assert not {"cases", "signals", "offices", "lanes", "detained"} & set(text.replace("(", " ").split())


def test_a_missing_trade_table_is_noted_in_each_language() -> None:
    world = make_world(6, n_cells=40, n_quarters=10)
    a = analyse(ibis.memtable(canonical_lines(world)))
    assert a.notes == ["no-trade"]
    assert "- No trade table in the warehouse" in summary_markdown(a)
    assert "- 仓库中没有贸易统计表" in summary_markdown(a, locale="zh")


def test_the_summary_names_the_highest_lane_incidences_with_enough_cases() -> None:
    lanes = pd.DataFrame(
        {
            "lane": ["CNSHA -> NLRTM", "CNYTN -> NLRTM", "CNNGB -> DEHAM", "? -> NLAMS"],
            "cases": [40, 12, 3, 50],
            "cases_per_1000_consignments": [0.5, 2.0, 9.0, np.nan],
        }
    )
    (line,) = _highest_incidence(lanes, "lane")
    # CNNGB has the highest rate but 3 cases only; the unknown lane has no traffic
    assert line.endswith("CNYTN -> NLRTM (2.00), CNSHA -> NLRTM (0.50).")
    assert _highest_incidence(lanes.assign(cases_per_1000_consignments=np.nan), "lane") == []
    (zh,) = _highest_incidence(lanes, "lane", Text("zh"))
    assert (
        zh == "每千票货物发生率最高的航线（至少10起案件）：CNYTN -> NLRTM（2.00）、CNSHA -> NLRTM（0.50）。"
    )
