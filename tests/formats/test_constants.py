"""Issue 16, class 7: a mapping's constant that contradicts the file's own column is a validation problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from iprisk.errors import InvalidSubmission
from iprisk.formats import read_declarations, read_seizures

from ._data import seizure_row, seizure_rows, write_csv
from .test_declarations import declaration_row

pytestmark = pytest.mark.usefixtures("fresh_settings")


def test_a_de_file_is_not_stored_as_nl(tmp_path: Path, run) -> None:
    path = write_csv(seizure_rows(3), tmp_path / "DE.csv")  # every row says reporting_admin DE
    mapping = tmp_path / "nl.yaml"
    mapping.write_text("format: seizures\nconstants: {reporting_admin: NL}\n")
    with pytest.raises(InvalidSubmission) as info:
        read_seizures(path, mapping=mapping)
    conflicts = [p for p in info.value.problems if p.rule == "constant_conflict"]
    assert [(p.row, p.column, p.value) for p in conflicts] == [
        (i, "reporting_admin", "DE") for i in (1, 2, 3)
    ]
    wh = tmp_path / "wh.duckdb"
    code, _, err = run("submit", path, "--mapping", mapping, "-w", wh)
    assert code == 3 and "constant_conflict" in err
    assert not wh.exists() or "NL" not in run("submissions", "-w", wh, "--format", "csv")[1]


def test_an_agreeing_column_and_empty_cells_take_the_constant(tmp_path: Path) -> None:
    rows = [seizure_row(1), seizure_row(2, reporting_admin=""), seizure_row(3)]
    batch = read_seizures(
        write_csv(rows, tmp_path / "s.csv"),
        mapping={"format": "seizures", "constants": {"reporting_admin": "DE"}},
    )
    assert batch.admin == "DE" and not batch.warnings


def test_value_maps_apply_before_the_comparison(tmp_path: Path) -> None:
    path = write_csv([declaration_row(1, flow="IM"), declaration_row(2, flow="EX")], tmp_path / "d.csv")
    mapping = {
        "format": "declarations",
        "values": {"flow": {"IM": "import", "EX": "export"}},
        "constants": {"flow": "import"},
    }
    with pytest.raises(InvalidSubmission.__mro__[1]) as info:  # InvalidInput
        read_declarations(path, mapping=mapping)
    assert [(p.rule, p.row, p.value) for p in info.value.problems] == [("constant_conflict", 2, "EX")]
