from __future__ import annotations

import pandas as pd

from iprisk.i18n import Text
from iprisk.reports import SIGNAL_FILE_COLUMNS, describe_segment, explain_signal
from iprisk.reports.signals import signals_file_table


def _signal(**facts: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        quarter="2016Q3",
        direction="up",
        reporting_admin="",
        office="",
        transport_mode="",
        provenance_country="",
        product_category="",
        ipr_type="",
        metric="cases",
        observed=29,
        expected=8.255155723905725,
        p_value=2e-7,
        q_value=0.000425533550189817,
        score=6.7,
        rank=1,
        previous=12,
        span=8,
    )
    row.update(facts)
    return row


def test_segments_in_words() -> None:
    segment = {"office": "NLRTM", "transport_mode": "inland_waterway", "product_category": "toys"}
    assert describe_segment(segment) == "toys at NLRTM by inland waterway"
    assert describe_segment({}) == "all seizures"
    zh = Text("zh")
    assert describe_segment(segment, zh) == "在NLRTM、经内河航运的玩具"
    assert describe_segment({"provenance_country": "CN"}, zh) == "来自中国"


def test_a_rise_a_drop_and_a_new_segment_in_english() -> None:
    rise = _signal(transport_mode="express", product_category="toys")
    assert explain_signal(rise) == (
        "Cases of toys by express rose to 29 against 8.3 expected (x3.51, q = 0.00043)."
    )
    drop = _signal(direction="down", office="NLRTM", observed=3, expected=40.0, q_value=0.012)
    assert explain_signal(drop) == "Cases at NLRTM fell to 3 against 40.0 expected (x0.07, q = 0.012)."
    new = _signal(direction="new", office="BEANR", provenance_country="VN", observed=12, previous=0, span=10)
    assert explain_signal(new) == (
        "New: 12 cases at BEANR from VN, where the 10 quarters before had none (q = 0.00043)."
    )
    lines = _signal(direction="new", metric="lines", product_category="shoes", previous=2, span=7)
    assert explain_signal(lines).startswith(
        "New: 29 lines of shoes after 2 in the previous quarter, where the 7"
    )


def test_the_same_facts_in_chinese() -> None:
    rise = _signal(transport_mode="express", product_category="toys")
    assert explain_signal(rise, Text("zh")) == "经快件的玩具案件升至29起，预期8.3起（×3.51，q = 0.00043）。"


def test_signals_csv_keeps_its_columns_with_an_english_explanation() -> None:
    table = signals_file_table(pd.DataFrame([_signal(product_category="toys")]))
    assert list(table.columns) == list(SIGNAL_FILE_COLUMNS)
    assert table["explanation"].iloc[0].startswith("Cases of toys rose to 29")
    empty = signals_file_table(pd.DataFrame(columns=list(_signal())))
    assert list(empty.columns) == list(SIGNAL_FILE_COLUMNS) and empty.empty
