"""Every registered rule is broken by at least one input, and reported at the right row and column."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iprisk.errors import InvalidInput, Problem
from iprisk.formats import RULES, read_declarations, read_seizures
from iprisk.formats.rules import WARNINGS

from ._data import seizure_row, seizure_rows, write_csv
from .test_declarations import declaration_row


@dataclass
class Case:
    read: Callable[[], Any]
    row: int | None
    column: str | None


def _seizures(tmp_path: Path, rows: list[dict[str, str]], **kwargs: Any) -> Callable[[], Any]:
    path = write_csv(rows, tmp_path / "s.csv")
    return lambda: read_seizures(path, **kwargs)


def _broken_seizure(tmp_path: Path, row: int, **overrides: Any) -> Callable[[], Any]:
    rows = seizure_rows(4)
    rows[row - 1] = seizure_row(row, **overrides)
    return _seizures(tmp_path, rows)


def _declarations(tmp_path: Path, **overrides: Any) -> Callable[[], Any]:
    rows = [declaration_row(1), declaration_row(2, **overrides), declaration_row(3)]
    path = write_csv(rows, tmp_path / "d.csv")
    return lambda: read_declarations(path)


def _text_file(tmp_path: Path, name: str, text: str) -> Callable[[], Any]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return lambda: read_seizures(path)


def _without(column: str, tmp_path: Path) -> Callable[[], Any]:
    rows = [{k: v for k, v in r.items() if k != column} for r in seizure_rows(3)]
    return _seizures(tmp_path, rows)


def _header_only(tmp_path: Path) -> Callable[[], Any]:
    return _seizures(tmp_path, [], admin="DE")


def _bytes_file(tmp_path: Path, rows: list[dict[str, str]], encoding: str) -> Callable[[], Any]:
    path = write_csv(rows, tmp_path / "s.csv", encoding=encoding)
    return lambda: read_seizures(path)


def _ambiguous(tmp_path: Path) -> Callable[[], Any]:
    # "España" in Windows-1252 is "Espańa" in Windows-1250: both read as plausible text
    rows = seizure_rows(3)
    rows[1] = seizure_row(2, right_holder_ref="España")
    return _bytes_file(tmp_path, rows, "cp1252")


def _long_cell(tmp_path: Path) -> Callable[[], Any]:
    from iprisk.settings import get_settings

    rows = seizure_rows(2)
    rows[1] = seizure_row(2, right_holder_ref="x" * (get_settings().max_cell_chars + 1))
    return _seizures(tmp_path, rows)


def _constant(tmp_path: Path) -> Callable[[], Any]:
    path = write_csv(seizure_rows(3), tmp_path / "s.csv")
    mapping = {"format": "seizures", "constants": {"reporting_admin": "NL"}}
    return lambda: read_seizures(path, mapping=mapping)


_DATE = "detention_date"

BREAKERS: dict[str, Callable[[Path], Case]] = {
    "unreadable": lambda p: Case(_text_file(p, "s.json", '[{"case_id": "A",'), None, None),
    "malformed_row": lambda p: Case(
        _text_file(
            p, "s.csv", ",".join(seizure_row(1)) + "\n" + ",".join(seizure_row(1).values()) + ",extra\n"
        ),
        1,
        None,
    ),
    "duplicate_column": lambda p: Case(
        _text_file(
            p,
            "s.csv",
            ",".join([*seizure_row(1), " CASE_ID"]) + "\n" + ",".join([*seizure_row(1).values(), "x"]) + "\n",
        ),
        None,
        " CASE_ID",
    ),
    "missing_column": lambda p: Case(_without("office", p), None, "office"),
    "unknown_column": lambda p: Case(
        _seizures(p, [dict(r, colour="red") for r in seizure_rows(2)]), None, "colour"
    ),
    "ignored_column": lambda p: Case(
        _seizures(p, [dict(r, colour="red") for r in seizure_rows(2)], ignore_unknown_columns=True),
        None,
        "colour",
    ),
    "encoding": lambda p: Case(_ambiguous(p), 2, None),
    "detected_encoding": lambda p: Case(
        _bytes_file(p, [seizure_row(1, right_holder_ref="Müller, Köln")], "cp1252"), None, None
    ),
    "limit": lambda p: Case(_long_cell(p), None, None),
    "constant_conflict": lambda p: Case(_constant(p), 1, "reporting_admin"),
    "control_character": lambda p: Case(_broken_seizure(p, 3, case_id="DE\x00-1"), 3, "case_id"),
    "date_range": lambda p: Case(_broken_seizure(p, 2, detention_date="9999-12-31"), 2, "detention_date"),
    "required": lambda p: Case(_broken_seizure(p, 2, provenance_country=""), 2, "provenance_country"),
    "code": lambda p: Case(_broken_seizure(p, 3, transport_mode="ship"), 3, "transport_mode"),
    "date": lambda p: Case(_broken_seizure(p, 2, detention_date="2016-02-30"), 2, "detention_date"),
    "integer": lambda p: Case(_broken_seizure(p, 4, articles="12.5"), 4, "articles"),
    "decimal": lambda p: Case(_broken_seizure(p, 1, retail_value_eur="12 EUR"), 1, "retail_value_eur"),
    "range": lambda p: Case(_broken_seizure(p, 2, line_no="0"), 2, "line_no"),
    "boolean": lambda p: Case(_declarations(p, controlled="maybe"), 2, "controlled"),
    "country": lambda p: Case(_broken_seizure(p, 3, origin_country="CHN"), 3, "origin_country"),
    "locode": lambda p: Case(_broken_seizure(p, 2, departure_port="XXSHA"), 2, "departure_port"),
    "unknown_port": lambda p: Case(_broken_seizure(p, 2, arrival_port="DEZZZ"), 2, "arrival_port"),
    "currency": lambda p: Case(_declarations(p, currency="EURO"), 2, "currency"),
    "length": lambda p: Case(_broken_seizure(p, 1, case_id="C" * 65), 1, "case_id"),
    "hs_code": lambda p: Case(_broken_seizure(p, 4, hs_code="95O3"), 4, "hs_code"),
    "duplicate_key": lambda p: Case(_broken_seizure(p, 3, case_id="DE-2016-00001"), 3, "case_id"),
    "admin_code": lambda p: Case(_seizures(p, seizure_rows(2), admin="EU"), None, None),
    "admin": lambda p: Case(_broken_seizure(p, 4, reporting_admin="NL"), 4, "reporting_admin"),
    "mixed_admin": lambda p: Case(_broken_seizure(p, 4, reporting_admin="NL"), None, "reporting_admin"),
    "admin_mismatch": lambda p: Case(_seizures(p, seizure_rows(2), admin="NL"), None, "reporting_admin"),
    "quarter": lambda p: Case(_broken_seizure(p, 2, detention_date="2016-10-01"), 2, "detention_date"),
    "mixed_quarter": lambda p: Case(
        _broken_seizure(p, 2, detention_date="2016-10-01"), None, "detention_date"
    ),
    "quarter_mismatch": lambda p: Case(
        _seizures(p, seizure_rows(2), quarter="2016Q4"), None, "detention_date"
    ),
    "empty": lambda p: Case(_header_only(p), None, None),
}


def test_every_registered_rule_has_a_breaking_input() -> None:
    assert set(BREAKERS) == set(RULES)


def _problems(read: Callable[[], Any]) -> list[Problem]:
    try:
        batch = read()
    except InvalidInput as exc:
        return exc.problems
    return list(getattr(batch, "warnings", []))


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_is_reported_where_broken(rule: str, tmp_path: Path) -> None:
    case = BREAKERS[rule](tmp_path)
    if rule in WARNINGS:
        batch = case.read()  # a warning never refuses the file
        problems = batch.warnings
    else:
        with pytest.raises(InvalidInput) as info:
            case.read()
        problems = info.value.problems
    hits = [p for p in problems if p.rule == rule]
    assert hits, f"{rule} not reported; got {[str(p) for p in problems]}"
    assert any(p.row == case.row and p.column == case.column for p in hits), [str(p) for p in hits]
    assert all(p.file and p.message for p in hits)


def test_rule_descriptions_are_plain_sentences() -> None:
    for rule in RULES.values():
        assert rule.description.endswith(".") and len(rule.description) > 20, rule.name
        assert rule.severity in ("error", "warning")
        assert set(rule.formats) <= {"seizures", "declarations"}


def test_unreadable_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"not": "an array"}), encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        read_seizures(path)
    assert info.value.problems[0].rule == "unreadable"
    assert str(path) in str(info.value)
