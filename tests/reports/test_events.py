"""Events in words: the headline's sentence and what it explains, in English and Chinese; ``events.csv``."""

from __future__ import annotations

import pandas as pd

from iprisk.analysis import event_table
from iprisk.i18n import Text
from iprisk.reports import EVENT_FILE_COLUMNS, explain_event
from iprisk.reports.events import events_file_table


def _signals() -> pd.DataFrame:
    base = dict(
        quarter="2016Q3", direction="up", reporting_admin="", office="", transport_mode="",
        provenance_country="", product_category="toys", ipr_type="", metric="cases", p_value=1e-6,
        q_value=0.0053, previous=20, span=8, event_id="2016Q3-1",
    )  # fmt: skip
    rows = [
        {**base, "transport_mode": "express", "observed": 34, "expected": 10.3, "score": 5.0, "rank": 1,
         "role": "headline", "share": 1.0},
        {**base, "observed": 72, "expected": 37.6, "score": 4.1, "rank": 2, "role": "broader", "share": 0.68},
        {**base, "ipr_type": "trademark", "observed": 66, "expected": 34.6, "score": 4.0, "rank": 3,
         "role": "overlapping", "share": 0.5},
        {**base, "event_id": "2016Q3-2", "product_category": "", "office": "PLWAW", "observed": 14,
         "expected": 3.4, "score": 3.9, "rank": 4, "role": "headline", "share": 1.0},
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_an_event_names_its_headline_and_the_signal_it_explains_most() -> None:
    signals = _signals()
    events = event_table(signals)
    assert list(events["event_id"]) == ["2016Q3-1", "2016Q3-2"]
    assert events[["broader", "overlapping"]].iloc[0].tolist() == [1, 1]
    toys = events.iloc[0].to_dict()
    assert explain_event(toys, signals) == (
        "Cases of toys by express rose to 34 against 10.3 expected (x3.30, q = 0.0053). It explains 2 more "
        "signals, among them toys (68 % of its departure from expectation)."
    )
    assert explain_event(toys, signals, Text("zh")) == (
        "经快件的玩具案件升至34起，预期10.3起（×3.30，q = 0.0053）。"
        "该事件另解释了2个信号，其中包括玩具（占其偏离预期部分的68%）。"
    )
    alone = events.iloc[1].to_dict()
    assert explain_event(alone, signals) == (
        "Cases at PLWAW rose to 14 against 3.4 expected (x4.12, q = 0.0053)."
    )


def test_events_csv_columns_with_an_english_explanation() -> None:
    signals = _signals()
    table = events_file_table(event_table(signals), signals)
    assert list(table.columns) == list(EVENT_FILE_COLUMNS)
    assert table["explanation"].iloc[1].startswith("Cases at PLWAW rose to 14")
    empty = events_file_table(event_table(signals.iloc[:0]), signals.iloc[:0])
    assert list(empty.columns) == list(EVENT_FILE_COLUMNS) and empty.empty
