from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from iprisk.errors import InvalidInput
from iprisk.profiles import Profile, evaluate
from iprisk.targeting.batch import _matched
from iprisk.targeting.matching import hits_and_max_risk, matched_profile_ids

CODES = {
    "origin_country": ["CN", "HK", "TR", "VN", None, ""],
    "departure_country": ["CN", "AE", "SG", None],
    "destination_country": ["DE", "NL", None],
    "departure_port": ["CNSHA", "HKHKG", None],
    "arrival_port": ["DEHAM", "NLRTM", None],
    "transport_mode": ["sea", "air", "post", None],
    "trader_id": ["T1", "T2", "T3", None],
    "declarant_id": ["D1", "D2", None],
    "seller_id": ["S1", "S2", None],
    "carrier_id": ["C1", "C2", None],
    "office": ["DEHAM1", "NLRTM1", None],
    "flow": ["import", "export", None],
    "hs_code": ["640399", "6403", "610910", "85171300", "950300", "9503", "64", None],
}


def _table(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {c: rng.choice(np.array(v, dtype=object), rows) for c, v in CODES.items()}
    specials = np.array([np.nan, 0.0, -1.0, np.inf, 5.0, 10.0, 100.0, 1000.0])
    value = np.where(rng.random(rows) < 0.3, rng.choice(specials, rows), rng.uniform(0, 2000, rows).round(2))
    mass = np.where(rng.random(rows) < 0.3, rng.choice(specials, rows), rng.uniform(0, 200, rows).round(1))
    cols["value"] = pa.array(value, mask=rng.random(rows) < 0.05)
    cols["net_mass_kg"] = pa.array(mass, mask=rng.random(rows) < 0.05)
    days = rng.integers(date(2019, 6, 1).toordinal(), date(2021, 6, 1).toordinal(), rows)
    cols["date"] = pa.array(
        [date.fromordinal(int(d)) for d in days], pa.date32(), mask=rng.random(rows) < 0.03
    )
    table = pa.table(cols)
    # one column dictionary-typed, as Parquet readers may give it
    return table.set_column(
        table.schema.get_field_index("office"), "office", pc.dictionary_encode(table["office"])
    )


def _random_profiles(n: int, seed: int) -> list[Profile]:
    rng = np.random.default_rng(seed)
    fields = {
        "origin_countries": ["CN", "HK", "TR"],
        "departure_countries": ["CN", "AE"],
        "destination_countries": ["DE", "NL"],
        "departure_ports": ["CNSHA", "HKHKG"],
        "arrival_ports": ["DEHAM", "NLRTM"],
        "transport_modes": ["sea", "air", "post"],
        "trader_ids": ["T1", "T2"],
        "declarant_ids": ["D1", "D2"],
        "seller_ids": ["S1", "S2"],
        "carrier_ids": ["C1", "C2"],
        "product_categories": ["shoes", "clothing", "toys", "other"],
    }
    out = []
    for i in range(n):
        crit: dict[str, Any] = {}
        for name in rng.choice(list(fields), int(rng.integers(1, 3)), replace=False):
            crit[str(name)] = sorted(set(rng.choice(fields[str(name)], int(rng.integers(1, 3))).tolist()))
        if rng.random() < 0.4:
            crit["hs_prefixes"] = sorted(
                set(rng.choice(["6403", "61", "9503", "640399", "8517"], 2).tolist())
            )
        for name, top in (("value", 1500.0), ("value_per_kg", 50.0)):
            if rng.random() < 0.4:
                low, high = sorted(rng.uniform(0, top, 2).round(1).tolist())
                crit[name] = (
                    {"min": low}
                    if rng.random() < 0.3
                    else {"max": high}
                    if rng.random() < 0.5
                    else {
                        "min": low,
                        "max": high,
                    }
                )
        out.append(
            Profile.model_validate(
                {
                    "id": f"P{i:02d}",
                    "status": "active",
                    "title": f"p{i}",
                    "owner": "DE",
                    "criteria": crit,
                    "risk_level": 1 + i % 5,
                    "scope": {
                        "flow": "import" if i % 4 else "export",
                        "offices": ["DEHAM1"] if i % 5 == 0 else [],
                    },
                    "valid_from": "2020-01-01" if i % 2 else "2019-01-01",
                    "valid_to": "2020-12-31" if i % 3 == 0 else None,
                }
            )
        )
    return out


def _engine(table: pa.Table, profiles: list[Profile]) -> list[str]:
    return [
        ";".join(ids) for ids in evaluate(table, profiles, keep=[]).column("matched_profiles").to_pylist()
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_matches_as_the_engine(seed: int) -> None:
    table = _table(3000, seed)
    if seed == 3:  # every code column dictionary-typed, with nulls in the indices, as Parquet reads them
        for name in CODES:
            i = table.schema.get_field_index(name)
            col = table.column(i)
            typed = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
            table = table.set_column(i, name, typed)
    profiles = _random_profiles(40, seed)
    fast = matched_profile_ids(table, profiles)
    assert fast is not None
    expected = _engine(table, profiles)
    assert fast.to_pylist() == expected
    assert sum(bool(x) for x in expected) > 300  # the profiles do match rows, several at once
    assert any(";" in x for x in expected)


def test_nulls_nan_and_masses_follow_the_sql_semantics() -> None:
    def one(value: float | None, mass: float | None, crit: dict[str, Any]) -> str:
        table = pa.table(
            {
                "flow": ["import"],
                "date": pa.array([date(2021, 1, 1)], pa.date32()),
                "value": pa.array([value], pa.float64()),
                "net_mass_kg": pa.array([mass], pa.float64()),
            }
        )
        profile = Profile.model_validate(
            {
                "id": "X",
                "status": "active",
                "title": "x",
                "owner": "DE",
                "criteria": crit,
                "risk_level": 1,
                "valid_from": "2020-01-01",
            }
        )
        fast = matched_profile_ids(table, [profile])
        assert fast is not None
        assert fast.to_pylist() == _engine(table, [profile])
        return str(fast[0])

    assert one(float("nan"), 1.0, {"value": {"min": 10}}) == "X"  # NaN is above every number in DuckDB
    assert one(float("nan"), 1.0, {"value": {"max": 10}}) == ""
    assert one(None, 1.0, {"value": {"min": 0}}) == ""
    assert one(10.0, float("nan"), {"value_per_kg": {"min": 1}}) == "X"  # NaN mass > 0, 10 / NaN is NaN
    assert one(10.0, 0.0, {"value_per_kg": {"min": 0}}) == ""
    assert one(10.0, -2.0, {"value_per_kg": {"max": 100}}) == ""
    assert one(10.0, float("inf"), {"value_per_kg": {"max": 1}}) == "X"


def test_what_it_does_not_cover_goes_to_the_engine() -> None:
    table = _table(200, 4)
    profiles = _random_profiles(5, 4)
    stamped = table.set_column(
        table.schema.get_field_index("date"), "date", table["date"].cast(pa.timestamp("s"))
    )
    assert matched_profile_ids(stamped, profiles) is None
    assert _matched(stamped, profiles).to_pylist() == _engine(stamped, profiles)
    numeric_hs = table.set_column(
        table.schema.get_field_index("hs_code"), "hs_code", pa.array(np.arange(200))
    )
    with_hs = [p for p in _random_profiles(30, 4) if p.criteria.hs_prefixes]
    assert with_hs and matched_profile_ids(numeric_hs, with_hs) is None
    assert matched_profile_ids(table, _random_profiles(63, 5)) is None  # more than one int64 of bits
    without_flow = table.drop_columns(["flow"])
    assert matched_profile_ids(without_flow, profiles) is None
    with pytest.raises(InvalidInput, match="flow"):  # the engine names the missing column
        _matched(without_flow, profiles)


def test_batch_path_uses_it_with_the_same_answers() -> None:
    table = _table(1000, 6)
    profiles = _random_profiles(20, 6)
    assert _matched(table, profiles).to_pylist() == _engine(table, profiles)
    assert _matched(table.slice(0, 0), profiles).to_pylist() == []


def test_profile_features_count_every_profile_whatever_status_and_dates() -> None:
    table = _table(3000, 7)
    profiles = [
        p.model_copy(update={"status": status})
        for p, status in zip(_random_profiles(12, 7), ["active", "draft", "expired"] * 4, strict=True)
    ]
    fast = hits_and_max_risk(table, profiles)
    assert fast is not None
    flagged = evaluate(table, profiles, only_active=False, check_validity=False, keep=[])
    hits = pc.fill_null(pc.list_value_length(flagged.column("matched_profiles")), 0).to_numpy()
    np.testing.assert_array_equal(fast[0], hits)
    np.testing.assert_array_equal(fast[1], flagged.column("max_risk_level").to_numpy())
    assert fast[0].max() >= 2
    active = [p for p in profiles if p.status == "active"]
    with_dates = matched_profile_ids(table, active)  # the batch path does check the dates
    assert with_dates is not None and with_dates.to_pylist() == _engine(table, active)
