"""Atomicity: a failure in the middle of a write leaves the warehouse exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from iprisk.warehouse import Warehouse, _submit, _trade
from tests.warehouse.samples import make_batch

TABLES = ("submissions", "seizure_lines", "trade", "iprisk_meta")


def snapshot(path: Path) -> dict[str, pa.Table]:
    """Every table's full content, in a stable row order, read through a fresh connection."""
    with Warehouse.open(path) as wh:
        out = {}
        for name in TABLES:
            t = wh.con.table(name).to_pyarrow()
            out[name] = t.sort_by([(c, "ascending") for c in t.column_names])
        return out


def assert_same(a: dict[str, pa.Table], b: dict[str, pa.Table]) -> None:
    for name in TABLES:
        assert a[name].equals(b[name]), f"table {name} changed"


class Boom(RuntimeError):
    pass


def _fail(*args: object, **kwargs: object) -> None:
    raise Boom("disk on fire")


@pytest.mark.parametrize("earlier_versions", [0, 1])
def test_failure_inserting_lines_rolls_back_log_and_supersede(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, earlier_versions: int
) -> None:
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        wh.submit(make_batch("NL", "2016Q3"))
        for v in range(earlier_versions):
            wh.submit(make_batch("DE", "2016Q3", variant=v))
    before = snapshot(path)

    calls: list[str] = []
    real_log, real_supersede = _submit.insert_log_row, _submit.supersede

    def log_then_record(*a: object, **k: object) -> None:
        real_log(*a, **k)  # type: ignore[arg-type]
        calls.append("log")

    def supersede_then_record(*a: object, **k: object) -> None:
        real_supersede(*a, **k)  # type: ignore[arg-type]
        calls.append("supersede")

    monkeypatch.setattr(_submit, "insert_log_row", log_then_record)
    monkeypatch.setattr(_submit, "supersede", supersede_then_record)
    monkeypatch.setattr(_submit, "insert_lines", _fail)
    with Warehouse.open(path) as wh:
        with pytest.raises(Boom):
            wh.submit(make_batch("DE", "2016Q3", variant=99))
        # the same open connection sees the old state too
        assert len(wh.submissions()) == 1 + earlier_versions
    # the failure really happened after the log row (and the supersede update) were written
    assert calls == ["log", "supersede"][: 1 + earlier_versions]
    assert_same(before, snapshot(path))
    # and the warehouse still works afterwards
    monkeypatch.undo()
    with Warehouse.open(path) as wh:
        assert wh.submit(make_batch("DE", "2016Q3", variant=99)).version == earlier_versions + 1


def test_failure_in_the_middle_of_the_line_insert_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The insert itself fails on a row (a value DuckDB cannot store), after some rows went in.
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        wh.submit(make_batch("DE", "2016Q3"))
    before = snapshot(path)
    real = _submit.insert_lines

    def insert_then_fail(duck, lines, quarter, submission_id):  # type: ignore[no-untyped-def]
        real(duck, lines, quarter, submission_id)
        duck.execute("INSERT INTO seizure_lines (case_id, line_no) VALUES ('x', 'not a number')")

    monkeypatch.setattr(_submit, "insert_lines", insert_then_fail)
    with Warehouse.open(path) as wh, pytest.raises(Exception, match="nothing was written"):
        wh.submit(make_batch("DE", "2016Q3", variant=5))
    assert_same(before, snapshot(path))


def test_failure_loading_trade_keeps_old_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.warehouse.test_trade import trade_table

    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        wh.load_trade(trade_table(["2016Q3", "2016Q4"]))
    before = snapshot(path)
    deleted: list[list[str]] = []
    real_delete = _trade.delete_quarters

    def delete_then_record(duck, quarters):  # type: ignore[no-untyped-def]
        real_delete(duck, quarters)
        deleted.append(quarters)

    monkeypatch.setattr(_trade, "delete_quarters", delete_then_record)
    monkeypatch.setattr(_trade, "insert_trade", _fail)
    with Warehouse.open(path) as wh, pytest.raises(Boom):
        wh.load_trade(trade_table(["2016Q3"], consignments=7))
    assert deleted == [["2016Q3"]]
    assert_same(before, snapshot(path))


def test_lines_are_stored_unordered_and_the_connection_keeps_its_ordering(tmp_path: Path) -> None:
    """The insert lets DuckDB write the lines in any order (faster); the batch's rows are all there, and
    the connection's own ``preserve_insertion_order`` is back as it was, also when the insert fails."""
    batch = make_batch("DE", "2016Q3")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        duck = wh.con.con
        for setting in (True, False):
            duck.execute(f"SET preserve_insertion_order = {setting}")
            _submit.store_batch(duck, make_batch("NL", "2016Q3", variant=int(setting)))
            assert duck.execute("SELECT current_setting('preserve_insertion_order')").fetchone() == (setting,)
        duck.execute("SET preserve_insertion_order = true")
        with pytest.raises(Exception, match="Conversion"):
            _submit.insert_lines(
                duck, batch.table.set_column(1, "line_no", pa.array(["x"] * batch.rows)), "2016Q3", 9
            )
        assert duck.execute("SELECT current_setting('preserve_insertion_order')").fetchone() == (True,)
        result = wh.submit(batch)
        stored = wh.con.table("seizure_lines").filter(lambda t: t.submission_id == result.submission_id)
        got = stored.select(*batch.table.column_names).to_pyarrow()
    key = [("case_id", "ascending"), ("line_no", "ascending")]
    assert got.sort_by(key).equals(batch.table.cast(got.schema).sort_by(key))
