"""Every number of a report is the value of the analysis table it names, and no other digit is printed.

The origins are resolved here again, independently of :class:`iprisk.reports.facts.Facts`: a cell found by its
key, a sum, a count, or a calculation over such numbers.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from typing import Any, ClassVar

import pandas as pd
import pytest

from iprisk.reports import Document, render_html
from iprisk.reports.document import Calc, Param, Src
from iprisk.reports.facts import PARAMETERS
from tests.reports.conftest import LOCALES, Built

#: Tables a builder derives from the inputs (the others are the inputs' own tables, unchanged).
DERIVED = re.compile(r"^(categories_.+|map_.+|settings|receipts|missing|runs|profile_status|profile_steps)$")


def resolve(origin: Src | Calc | Param, tables: dict[str, pd.DataFrame]) -> float:
    if isinstance(origin, Param):
        return float(PARAMETERS[origin.name])
    if isinstance(origin, Calc):
        v = [resolve(a, tables) for a in origin.args]
        if origin.op == "sum":
            return sum(v)
        if origin.op == "percent":
            return 100 * v[0]
        if origin.op == "diff":
            return v[0] - v[1]
        if v[1] == 0:
            return math.nan
        return {"ratio": v[0] / v[1], "pct": 100 * v[0] / v[1], "pct_change": 100 * (v[0] - v[1]) / v[1]}[
            origin.op
        ]
    frame = tables[origin.table]
    for column, value in origin.where:
        if value is None:
            frame = frame[frame[column].isna() | (frame[column].astype(str) == "")]
        else:
            frame = frame[frame[column] == value]
    if origin.agg == "count":
        return float(len(frame))
    values = frame[origin.column].astype(float)
    if origin.agg == "sum":
        return float(values.sum())
    if origin.agg == "max":
        return float(values.max())
    assert len(values) == 1, f"{origin} selects {len(values)} rows"
    return float(values.iloc[0])


def _documents(built: Built) -> list[tuple[str, Document]]:
    return [
        (f"{kind}.{locale}", doc)
        for kind, docs in (
            ("annual", built.annual),
            ("newsletter", built.newsletter),
            ("play", built.play_docs),
        )
        for locale, doc in docs.items()
    ]


def test_every_number_equals_the_table_cell_it_names(built: Built) -> None:
    inputs = built.inputs.tables()
    for name, doc in _documents(built):
        numbers = list(doc.numbers())
        assert len(numbers) > 20, name
        for table, frame in doc.sources.items():
            # the inputs' tables are read as they are; the others are derived by the builder
            assert (table in inputs and frame.equals(inputs[table])) or DERIVED.match(table), (name, table)
        for n in numbers:
            expected = resolve(n.origin, dict(doc.sources))
            assert n.value == pytest.approx(expected, nan_ok=True, rel=1e-12), (name, str(n.origin))


def _tables_read(origin: Src | Calc | Param) -> set[str]:
    if isinstance(origin, Src):
        return {origin.table}
    if isinstance(origin, Calc):
        return set().union(*(_tables_read(a) for a in origin.args))
    return set()


def test_every_section_has_numbers_the_check_above_traced(built: Built) -> None:
    """The newest sections too: events and their shares, the lanes map, effectiveness, the receipts."""
    kinds = {"annual": built.annual, "newsletter": built.newsletter, "play": built.play_docs}
    read = {k: set().union(*(_tables_read(n.origin) for n in d["en"].numbers())) for k, d in kinds.items()}
    assert {"trends", "signals", "events", "offices", "lanes", "map_lanes", "mirror", "propensity",
            "strategies", "profile_metrics"} <= read["annual"], read["annual"]  # fmt: skip
    assert {"trends", "quarter_lanes", "map_quarter_lanes"} <= read["newsletter"], read["newsletter"]
    assert {"settings", "receipts", "runs", "profile_status", "profile_steps"} <= read["play"], read["play"]


def test_the_annual_report_reads_the_analysis_of_its_year(built: Built) -> None:
    a = built.inputs.analysis
    assert (a.start, a.end) == ("2016Q1", "2016Q4")
    doc = built.annual["en"]
    cases = [
        n
        for n in doc.numbers()
        if n.origin
        == Src("trends", "value", (("cut", ""), ("key", ""), ("metric", "cases"), ("year", "2016")), "sum")
    ]
    assert cases and cases[0].value == a.totals["cases"]  # the trend table agrees with the analysis
    assert not a.signals.empty  # the world's planted surges give the report signals to explain


class _Digits(HTMLParser):
    """The text a reader sees outside the marked numbers, codes, periods and references, charts aside."""

    SKIP: ClassVar = frozenset({"svg", "style", "title", "head"})
    MARKED: ClassVar = frozenset({"n", "code", "period", "ref"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Any]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        inside = bool(self.stack and self.stack[-1])
        if tag not in ("meta", "br", "img", "path", "rect", "line", "circle", "stop"):
            self.stack.append(inside or tag in self.SKIP or bool(classes & self.MARKED))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("meta", "br", "img", "path", "rect", "line", "circle", "stop") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.text.append(data)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_digit_reaches_the_reader_but_through_a_number_a_code_or_a_period(
    built: Built, locale: str
) -> None:
    for kind in ("annual", "newsletter", "state-of-play"):
        parser = _Digits()
        parser.feed(built.file(kind, locale, ".html").read_text(encoding="utf-8"))
        stray = re.findall(r".{0,30}\d.{0,30}", " ".join(parser.text))
        assert stray == [], (kind, stray[:5])


def test_the_html_shows_each_number_as_its_document_writes_it(built: Built) -> None:
    html = built.file("annual", "zh", ".html").read_text(encoding="utf-8")
    spans = re.findall(r'<span class="n" data-v="([^"]+)" title="([^"]+)">([^<]+)</span>', html)
    from iprisk.i18n import Text

    numbers = list(built.annual["zh"].numbers())
    assert len(spans) == len(numbers)
    for (value, origin, shown), n in zip(spans, numbers, strict=True):
        assert float(value) == pytest.approx(n.value, nan_ok=True) and shown == n.text(Text("zh"))
        assert origin.replace("&gt;", ">").replace("&#39;", "'") == str(n.origin)


def test_the_chinese_report_has_no_english_sentence_left(built: Built) -> None:
    """Every fixed string is translated: outside codes and numbers, no run of English words."""
    for kind in ("annual", "newsletter", "state-of-play"):
        parser = _Digits()
        parser.feed(built.file(kind, "zh", ".html").read_text(encoding="utf-8"))
        text = " ".join(parser.text)
        # codes stay codes: UN/LOCODEs (office names in signal segments), country codes
        words = {w for w in re.findall(r"[A-Za-z]{3,}", text) if not re.fullmatch(r"[A-Z]{2}[A-Z2-9]{3}", w)}
        # names that stay Latin in Chinese: the product and its commands, the indices, the organisations
        latin = {"iprisk", "analyse", "targeting", "evaluate", "GTRIC", "OECD", "EUIPO", "SHA"}
        assert words <= latin, (kind, words)


def test_the_same_inputs_give_the_same_page(built: Built) -> None:
    from iprisk.reports import annual_report

    again = annual_report(built.inputs, "en")
    assert render_html(again) == built.file("annual", "en", ".html").read_text(encoding="utf-8")


def test_the_same_warehouse_gives_the_same_page(built: Built) -> None:
    """The whole chain again from the warehouse (analysis, trends, lanes, snapshot): byte-identical HTML."""
    from iprisk.reports import annual_inputs, annual_report, newsletter
    from iprisk.warehouse import Warehouse
    from tests.reports.conftest import YEAR, effectiveness

    with Warehouse.open(built.folder / "warehouse.duckdb", create=False, read_only=True) as wh:
        again = annual_inputs(wh, YEAR, effectiveness=effectiveness())
    assert again.snapshot.digest == built.inputs.snapshot.digest
    for kind, locale, doc in (("annual", "en", annual_report), ("newsletter", "zh", newsletter)):
        page = render_html(doc(again, locale))
        assert page == built.file(kind, locale, ".html").read_text(encoding="utf-8"), (kind, locale)
