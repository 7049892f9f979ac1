"""The rule engine against a row-by-row Python reference, on generated declarations and profiles."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from iprisk.codes import category_for_hs
from iprisk.errors import InvalidInput
from iprisk.profiles import Profile, evaluate
from tests.profiles.samples import profile

HS = ["640411", "640419", "610910", "851712", "950300", "3004900000"]
COUNTRIES = ["CN", "HK", "KH", "DE"]
PORTS = ["CNSHA", "NLRTM", "DEHAM"]
MODES = ["post", "air", "sea"]
IDS = ["A", "B", "O'Hara"]
OFFICES = ["NLRTM", "DEHAM"]
DAY0 = date(2021, 1, 1)
_TEXT = [
    "declaration_id", "flow", "office", "transport_mode", "hs_code", "origin_country", "departure_country",
    "destination_country", "departure_port", "arrival_port", "trader_id", "declarant_id", "seller_id",
    "carrier_id",
]  # fmt: skip
SCHEMA = pa.schema(
    [
        *((c, pa.string()) for c in _TEXT),
        ("date", pa.date32()),
        ("value", pa.float64()),
        ("net_mass_kg", pa.float64()),
    ]
)


def _maybe(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


row = st.fixed_dictionaries(
    {
        "date": st.integers(0, 30).map(lambda d: DAY0 + timedelta(days=d)),
        "flow": st.sampled_from(["import", "import", "export"]),
        "office": st.sampled_from(OFFICES),
        "transport_mode": st.sampled_from(MODES),
        "hs_code": st.sampled_from(HS),
        "origin_country": _maybe(COUNTRIES),
        "departure_country": st.sampled_from(COUNTRIES),
        "destination_country": st.sampled_from(COUNTRIES),
        "departure_port": _maybe(PORTS),
        "arrival_port": _maybe(PORTS),
        "trader_id": _maybe(IDS),
        "declarant_id": _maybe(IDS),
        "seller_id": _maybe(IDS),
        "carrier_id": _maybe(IDS),
        "value": st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 1)),
        "net_mass_kg": st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0, 10.0, 100.0])),
    }
)


def _subset(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))


def _bounds(t: tuple[float | None, float | None]) -> dict[str, float]:
    lo, hi = t
    if lo is not None and hi is not None:
        lo, hi = min(lo, hi), max(lo, hi)
    return {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}


def _range() -> st.SearchStrategy[dict[str, float] | None]:
    bound = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 5.0, 50.0, 500.0]))
    return st.one_of(st.none(), st.tuples(bound, bound).filter(lambda t: t != (None, None)).map(_bounds))


_CRITERIA: dict[str, st.SearchStrategy[Any]] = {
    "hs_prefixes": _subset(["64", "6404", "640411", "85", "30049"]),
    "product_categories": _subset(["shoes", "clothing", "medicines", "other"]),
    "origin_countries": _subset(COUNTRIES),
    "departure_countries": _subset(COUNTRIES),
    "destination_countries": _subset(COUNTRIES),
    "departure_ports": _subset(PORTS),
    "arrival_ports": _subset(PORTS),
    "transport_modes": _subset(MODES),
    "trader_ids": _subset(IDS),
    "declarant_ids": _subset(IDS),
    "seller_ids": _subset(IDS),
    "carrier_ids": _subset(IDS),
    "value_per_kg": _range(),
    "value": _range(),
}


@st.composite
def criteria(draw: st.DrawFn) -> dict[str, Any]:
    """One to three criteria fields, so that profiles match often enough to test something."""
    fields = draw(st.lists(st.sampled_from(sorted(_CRITERIA)), min_size=1, max_size=2, unique=True))
    out = {f: draw(_CRITERIA[f]) for f in fields}
    return {k: v for k, v in out.items() if v} or {"transport_modes": MODES[:2]}


@st.composite
def profiles(draw: st.DrawFn) -> list[Profile]:
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        start = draw(st.integers(0, 10))
        length = draw(st.one_of(st.none(), st.integers(0, 40)))
        out.append(
            profile(
                f"P{i}",
                status=draw(st.sampled_from(["active", "active", "active", "draft"])),
                scope={
                    "flow": draw(st.sampled_from(["import", "import", "export"])),
                    "offices": draw(_subset(OFFICES)),
                },
                criteria=draw(criteria()),
                risk_level=draw(st.integers(1, 5)),
                mandatory=draw(st.booleans()),
                valid_from=DAY0 + timedelta(days=start),
                valid_to=None if length is None else DAY0 + timedelta(days=start + length),
            )
        )
    return out


def _reference(p: Profile, r: dict[str, Any]) -> bool:
    """Row-by-row, plainly: what a profile means."""
    if p.status != "active" or r["flow"] != p.scope.flow or not p.is_valid_on(r["date"]):
        return False
    if p.scope.offices and r["office"] not in p.scope.offices:
        return False
    c = p.criteria
    if c.hs_prefixes and not any(r["hs_code"].startswith(x) for x in c.hs_prefixes):
        return False
    if c.product_categories and category_for_hs(r["hs_code"]) not in c.product_categories:
        return False
    pairs = [
        (c.origin_countries, "origin_country"), (c.departure_countries, "departure_country"),
        (c.destination_countries, "destination_country"), (c.departure_ports, "departure_port"),
        (c.arrival_ports, "arrival_port"), (c.transport_modes, "transport_mode"), (c.trader_ids, "trader_id"),
        (c.declarant_ids, "declarant_id"), (c.seller_ids, "seller_id"), (c.carrier_ids, "carrier_id"),
    ]  # fmt: skip
    if any(values and r[col] not in values for values, col in pairs):
        return False
    if c.value is not None and not c.value.contains(r["value"]):
        return False
    if c.value_per_kg is not None:
        mass = r["net_mass_kg"]
        vpk = r["value"] / mass if mass else None
        if not c.value_per_kg.contains(vpk):
            return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=5, max_size=30), profs=profiles())
def test_engine_equals_the_reference(rows: list[dict[str, Any]], profs: list[Profile]) -> None:
    for i, r in enumerate(rows):
        r["declaration_id"] = f"D{i}"
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    result = evaluate(table, profs).to_pylist()
    event(f"matches: {min(sum(len(r['matched_profiles']) for r in result), 3)}")
    assert len(result) == len(rows)
    for r, got in zip(rows, result, strict=True):
        expected = sorted(p.id for p in profs if _reference(p, r))
        assert got["declaration_id"] == r["declaration_id"]
        assert got["matched_profiles"] == expected, (r, profs)
        levels = [p.risk_level for p in profs if p.id in expected]
        assert got["max_risk_level"] == max(levels, default=0)
        assert got["mandatory"] == any(p.mandatory for p in profs if p.id in expected)


def test_pandas_input_and_order_are_kept() -> None:
    active = profile("P1", status="active", criteria={"origin_countries": ["KH"]})
    frame = pd.DataFrame(
        {
            "declaration_id": [f"D{i}" for i in range(5000)],
            "date": [date(2021, 3, 1)] * 5000,
            "flow": "import",
            "origin_country": ["KH" if i % 3 == 0 else "CN" for i in range(5000)],
        }
    )
    out = evaluate(frame, [active]).to_pandas()
    assert out["declaration_id"].tolist() == frame["declaration_id"].tolist()
    assert (out["max_risk_level"] == 4).tolist() == (frame["origin_country"] == "KH").tolist()


def test_missing_columns_and_duplicate_ids_are_refused() -> None:
    table = pa.table({"declaration_id": ["D1"], "date": [date(2021, 3, 1)], "flow": ["import"]})
    with pytest.raises(InvalidInput) as info:
        evaluate(table, [profile("P1", status="active")])
    assert {p.column for p in info.value.problems} == {"hs_code", "origin_country", "transport_mode"}
    p = profile("P1", status="active", criteria={"hs_prefixes": ["64"]})
    with pytest.raises(ValueError, match="several versions"):
        evaluate(table, [p, p.model_copy(update={"version": 2})])


def test_no_profiles_gives_empty_matches() -> None:
    table = pa.table({"declaration_id": ["D1", "D2"], "flow": ["import", "export"]})
    out = evaluate(table, []).to_pylist()
    assert [(r["matched_profiles"], r["max_risk_level"], r["mandatory"]) for r in out] == [([], 0, False)] * 2
