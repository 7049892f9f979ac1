"""Issue 16, class 12 (command line): empty quarters need asking for, and a .env cannot redirect silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iprisk.settings import get_settings
from iprisk.warehouse import Warehouse
from tests.formats._data import write_csv
from tests.warehouse.samples import write_seizures_csv

pytestmark = pytest.mark.usefixtures("fresh_settings")


def test_a_header_only_file_does_not_replace_a_full_submission(tmp_path: Path, run) -> None:
    wh = tmp_path / "wh.duckdb"
    assert run("submit", write_seizures_csv(tmp_path / "full.csv", n=6), "-w", wh)[0] == 0
    empty = write_csv([], tmp_path / "empty.csv")
    code, _, err = run("submit", empty, "-w", wh, "--admin", "DE", "--quarter", "2016Q3")
    assert code == 3 and "--allow-empty" in err
    with Warehouse.open(wh) as w:
        assert w.submissions()["rows"].tolist() == [6]
    code, out, _ = run("submit", empty, "-w", wh, "--admin", "de", "--quarter", "2016Q3", "--allow-empty")
    assert code == 0 and "0 rows, superseded-previous" in out


def test_a_warehouse_set_by_dotenv_is_shown(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere.duckdb"
    (tmp_path / ".env").write_text(f"IPRISK_WAREHOUSE={elsewhere}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IPRISK_WAREHOUSE", raising=False)
    get_settings.cache_clear()
    code, _, err = run("submit", write_seizures_csv(tmp_path / "a.csv"))
    assert code == 0 and f"note: warehouse is {elsewhere} (set by .env file" in err
    monkeypatch.setenv("IPRISK_WAREHOUSE", str(elsewhere))
    get_settings.cache_clear()
    code, _, err = run("submit", write_seizures_csv(tmp_path / "a.csv"))
    assert code == 0 and "note:" not in err  # the environment is the user's own choice
    assert os.environ["IPRISK_WAREHOUSE"] == str(elsewhere)
