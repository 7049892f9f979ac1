"""Property tests: generated valid rows survive file -> read unchanged; each broken field is located."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iprisk.codes import FLOWS, IPR_TYPES, OUTCOMES, PROCEDURES, PRODUCT_CATEGORIES, TRANSPORT_MODES
from iprisk.errors import InvalidSubmission
from iprisk.formats import read_seizures

from ._data import write_file

# Text without spaces or control characters: values are trimmed on reading, so surrounding whitespace would
# not round-trip (line breaks inside quoted CSV values do; test_readers covers them).
_TEXT_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs"))
text = st.text(_TEXT_CHARS, min_size=1, max_size=20)
countries = st.sampled_from(["CN", "DE", "NL", "HK", "TR", "US", "FR", "VN"])
ports = st.sampled_from(["CNSHA", "CNNGB", "DEHAM", "NLRTM", "HKHKG", "BEANR"])
days = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2019, 3, 31))
decimals = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(""), strategy)


@st.composite
def seizure_rows(draw: st.DrawFn, min_size: int = 1, max_size: int = 12) -> list[dict[str, str]]:
    n = draw(st.integers(min_size, max_size))
    case_ids = draw(st.lists(text, min_size=n, max_size=n))
    rows = []
    for i, case_id in enumerate(case_ids):
        rows.append(
            {
                "case_id": case_id[:60],
                "line_no": str(i + 1),  # unique key whatever the case ids
                "reporting_admin": "NL",
                "office": draw(ports),
                "detention_date": draw(days).isoformat(),
                "flow": draw(st.sampled_from(list(FLOWS))),
                "transport_mode": draw(st.sampled_from(list(TRANSPORT_MODES))),
                "provenance_country": draw(countries),
                "origin_country": draw(_maybe(countries)),
                "destination_country": draw(countries),
                "departure_port": draw(_maybe(ports)),
                "arrival_port": draw(_maybe(ports)),
                "product_category": draw(st.sampled_from(list(PRODUCT_CATEGORIES))),
                "hs_code": draw(_maybe(st.from_regex(r"\A[0-9]{4,10}\Z"))),
                "ipr_type": draw(st.sampled_from(list(IPR_TYPES))),
                "procedure": draw(st.sampled_from(list(PROCEDURES))),
                "articles": str(draw(st.integers(0, 10**9))),
                "retail_value_eur": draw(_maybe(decimals.map(repr))),
                "declared_value_eur": draw(_maybe(decimals.map(lambda x: f"{x:.2f}"))),
                "outcome": draw(_maybe(st.sampled_from(list(OUTCOMES)))),
                "right_holder_ref": draw(_maybe(text)),
            }
        )
    return rows


def _expected(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        e: dict[str, Any] = {k: (v if v != "" else None) for k, v in r.items()}
        e["line_no"] = int(r["line_no"])
        e["articles"] = int(r["articles"])
        e["detention_date"] = dt.date.fromisoformat(r["detention_date"])
        for k in ("retail_value_eur", "declared_value_eur"):
            e[k] = float(r[k]) if r[k] else None
        out.append(e)
    return out


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(rows=seizure_rows(), ext=st.sampled_from([".csv", ".jsonl", ".parquet"]))
def test_valid_rows_round_trip(rows: list[dict[str, str]], ext: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        batch = read_seizures(write_file(rows, Path(tmp) / f"s{ext}"))
    assert batch.table.to_pylist() == _expected(rows)
    assert batch.admin == "NL" and str(batch.quarter) == "2019Q1"


#: field -> strategy of values that break it, with the rule each breaks
BREAKS: dict[str, list[tuple[str, str]]] = {
    "case_id": [("", "required"), ("x" * 65, "length")],
    "line_no": [("0", "range"), ("1.0", "integer"), ("one", "integer")],
    "office": [("NLRT", "locode"), ("ZXRTM", "locode"), ("nlrtm", "locode")],
    "detention_date": [("2019-02-29", "date"), ("31/01/2019", "date"), ("2019-04-01", "quarter")],
    "flow": [("Import", "code"), ("", "required")],
    "transport_mode": [("truck", "code")],
    "provenance_country": [("CHN", "country"), ("cn", "country"), ("", "required")],
    "origin_country": [("UK", "country")],
    "destination_country": [("EU", "country")],
    "departure_port": [("CN-SHA", "locode"), ("CNSH0", "locode")],
    "product_category": [("watches", "code")],
    "hs_code": [("640", "hs_code"), ("6403.99", "hs_code"), ("12345678901", "hs_code")],
    "ipr_type": [("brand", "code")],
    "procedure": [("ex officio", "code")],
    "articles": [("-1", "range"), ("1e3", "integer")],
    "retail_value_eur": [("-0.01", "range"), ("12,50", "decimal"), ("inf", "decimal"), ("1e400", "decimal")],
    "declared_value_eur": [("EUR 5", "decimal")],
    "outcome": [("burnt", "code")],
}
RULE_OF = {(f, v): r for f, options in BREAKS.items() for v, r in options}
breaks = st.sampled_from(sorted(RULE_OF))


@FAST
@given(rows=seizure_rows(min_size=2), data=st.data())
def test_each_broken_field_is_reported_where_it_is(rows: list[dict[str, str]], data: st.DataObject) -> None:
    chosen = data.draw(st.lists(st.tuples(st.integers(0, len(rows) - 1), breaks), min_size=1, max_size=4))
    for i, (field, value) in chosen:
        rows[i][field] = value
    # a later break of the same cell replaces an earlier one
    expected = {(RULE_OF[field, rows[i][field]], i + 1, field, rows[i][field]) for i, (field, _v) in chosen}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_file(rows, Path(tmp) / "s.csv")
        with pytest.raises(InvalidSubmission) as info:
            read_seizures(path, admin="NL", quarter="2019Q1")
    found = {(p.rule, p.row, p.column, p.value) for p in info.value.problems}
    assert expected <= found
    # nothing else at row level than what was broken (file-level summaries aside)
    assert {(p.row, p.column) for p in info.value.problems if p.row is not None} <= {
        (row, column) for _rule, row, column, _v in expected
    }
