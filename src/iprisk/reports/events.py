"""Events in words: each event's headline signal as one sentence, and what it explains beside it.

The analysis groups the signals of one surge into an event (:mod:`iprisk.analysis.events`); this module writes
an event for people in a language, e.g. ``Cases of toys by express rose to 34 against 10.3 expected (x3.30,
q = 0.0053). It explains 2 more signals, among them toys (68 % of its extra cases).``
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from iprisk.analysis import EVENT_COLUMNS
from iprisk.i18n import Text
from iprisk.reports.signals import describe_segment, explain_signal, segment_of

#: The columns of ``events.csv``: the facts of each event, then its headline in English.
EVENT_FILE_COLUMNS: tuple[str, ...] = (*EVENT_COLUMNS, "explanation")


def explain_event(event: dict[str, Any], signals: pd.DataFrame, text: Text | None = None) -> str:
    """The headline's sentence, then how many other signals of ``signals`` the event explains, naming the
    one it explains most of (its share of that segment's extra, or missing, cases)."""
    text = text or Text()
    sentence = explain_signal(event, text)
    others = signals[(signals["event_id"] == event["event_id"]) & (signals["role"] != "headline")]
    if others.empty:
        return sentence
    main = others.sort_values(["share", "score"], ascending=False, kind="stable").iloc[0]
    tail = text.ngettext(
        "It explains {n} more signal: {segment} ({share} % of its departure from expectation).",
        "It explains {n} more signals, among them {segment} ({share} % of its departure from expectation).",
        len(others),
        segment=describe_segment(segment_of(main.to_dict()), text),
        share=text.number(100 * float(main["share"]), decimals=0),
    )
    return text.gettext("{headline} {explained}", headline=sentence, explained=tail)


def event_explanations(events: pd.DataFrame, signals: pd.DataFrame, text: Text | None = None) -> list[str]:
    """The sentences of every event, in row order."""
    return [
        explain_event({str(k): v for k, v in r.items()}, signals, text) for r in events.to_dict("records")
    ]


def events_file_table(events: pd.DataFrame, signals: pd.DataFrame) -> pd.DataFrame:
    """The table written to ``events.csv``: :data:`EVENT_FILE_COLUMNS`, explanations in English."""
    sentences = event_explanations(events, signals) if len(events) else []
    return events.assign(explanation=sentences)[list(EVENT_FILE_COLUMNS)]
