"""Issue 16, class 9: values the store cannot represent are validation problems with row, column and rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iprisk.errors import InvalidSubmission
from iprisk.formats import read_seizures, write_table

from ._data import seizure_row, seizure_rows, write_csv

_CONTROL = st.sampled_from([chr(c) for c in range(0x20) if c not in (9, 10, 13)] + ["\ufffe", "\uffff"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_CONTROL, st.sampled_from(["case_id", "right_holder_ref"]))
def test_control_characters_are_refused_where_they_are(tmp_path: Path, char: str, column: str) -> None:
    rows = seizure_rows(3)
    rows[1] = seizure_row(2, **{column: f"A{char}B"})
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(write_csv(rows, tmp_path / "s.csv"))
    assert [(p.rule, p.row, p.column) for p in info.value.problems] == [("control_character", 2, column)]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_dates_outside_the_years_iprisk_works_in(tmp_path: Path, day: str) -> None:
    rows = seizure_rows(3)
    rows[2] = seizure_row(3, detention_date=day)
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(write_csv(rows, tmp_path / "s.csv"))
    assert ("date_range", 3, "detention_date") in [(p.rule, p.row, p.column) for p in info.value.problems]


def test_a_quarter_outside_the_years_is_a_clear_usage_error(
    tmp_path: Path, run, fresh_settings: None
) -> None:
    path = write_csv(seizure_rows(2), tmp_path / "s.csv")
    code, _, err = run("submit", path, "--quarter", "0001Q1", "-w", tmp_path / "wh.duckdb")
    assert code == 2 and "1900 to 2199" in err and "Traceback" not in err


def test_text_and_tabs_that_are_fine_export_to_xlsx(tmp_path: Path) -> None:
    rows = [seizure_row(1, right_holder_ref="tab\there, 中文, é"), seizure_row(2)]
    batch = read_seizures(write_csv(rows, tmp_path / "s.csv"))
    out = write_table(batch.table, tmp_path / "x.xlsx")
    assert read_seizures(out).content_hash == batch.content_hash
