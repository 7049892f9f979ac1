"""Issue 16, class 4: an output never overwrites an input, the warehouse or the database, and is atomic."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from iprisk.errors import UnsafeOutput
from iprisk.security import atomic_write, check_output, protected_paths
from tests.formats._data import seizure_row, write_csv

pytestmark = pytest.mark.usefixtures("fresh_settings")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def stored(tmp_path: Path, run) -> tuple[Path, Path]:
    wh = tmp_path / "wh.duckdb"
    good = write_csv([seizure_row(1), seizure_row(2)], tmp_path / "DE.csv")
    assert run("submit", good, "-w", wh)[0] == 0
    return wh, good


@pytest.mark.parametrize("target", ["warehouse", "input", "other-database"])
def test_errors_out_never_overwrites(target: str, stored: tuple[Path, Path], tmp_path: Path, run) -> None:
    wh, good = stored
    other = tmp_path / "ops.sqlite"
    sqlite3.connect(other).close()
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE t (x)")
    aim = {"warehouse": wh, "input": good, "other-database": other}[target]
    before = {p: _digest(p) for p in (wh, good, other)}
    code, _, err = run("submit", good, "-w", wh, "--errors-out", aim)
    assert code == 1 and "refusing to write" in err
    assert {p: _digest(p) for p in (wh, good, other)} == before


def test_export_never_overwrites_the_warehouse(stored: tuple[Path, Path], run) -> None:
    wh, _ = stored
    before = _digest(wh)
    code, _, err = run("export", "seizures", "-w", wh, "--out", wh)
    assert code == 1 and "refusing to write" in err and _digest(wh) == before


def test_a_hard_link_to_the_warehouse_is_the_warehouse(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    wh.write_bytes(b"x" * 16)
    (tmp_path / "link.csv").hardlink_to(wh)
    with pytest.raises(UnsafeOutput, match="warehouse"):
        check_output(tmp_path / "link.csv", protected=protected_paths(wh))


def test_the_database_of_the_settings_is_protected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iprisk.settings import get_settings

    monkeypatch.setenv("IPRISK_DATABASE", f"sqlite:///{tmp_path / 'ops.sqlite'}")
    get_settings.cache_clear()
    with pytest.raises(UnsafeOutput):
        check_output(tmp_path / "ops.sqlite", protected=protected_paths())


def test_atomic_write_leaves_the_target_whole_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old\n" and list(tmp_path.iterdir()) == [target]
    with atomic_write(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n" and list(tmp_path.iterdir()) == [target]
