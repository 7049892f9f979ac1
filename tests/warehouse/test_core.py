from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from iprisk.errors import InvalidSubmission, InvalidValue, NotFound, Unsupported, WarehouseError
from iprisk.settings import get_settings
from iprisk.warehouse import STORED, SUPERSEDED_PREVIOUS, UNCHANGED, Warehouse, parse_timestamp
from iprisk.warehouse._schema import seizures_schema
from tests.warehouse.samples import make_batch

LOG_COLUMNS = [
    "submission_id",
    "reporting_admin",
    "quarter",
    "version",
    "status",
    "rows",
    "content_hash",
    "submitted_by",
    "submitted_at",
    "superseded_at",
    "source",
]


@pytest.fixture
def wh(tmp_path: Path):
    with Warehouse.open(tmp_path / "wh.duckdb") as w:
        yield w


def test_first_submission_is_stored_as_version_1(wh: Warehouse) -> None:
    batch = make_batch("DE", "2016Q3", 6)
    result = wh.submit(batch, user="alice")
    assert (result.status, result.version, result.rows, result.submission_id) == (STORED, 1, 6, 1)
    assert result.content_hash == batch.content_hash
    log = wh.submissions()
    assert list(log.columns) == LOG_COLUMNS
    row = log.iloc[0]
    assert (row.reporting_admin, row.quarter, row.status, row.submitted_by) == (
        "DE",
        "2016Q3",
        "current",
        "alice",
    )
    assert row.submitted_at.tzinfo is not None and pd.isna(row.superseded_at)
    lines = wh.seizures().to_pyarrow()
    assert lines.column_names == [*seizures_schema().names, "quarter", "submission_id"]
    assert lines.num_rows == 6 and set(lines["quarter"].to_pylist()) == {"2016Q3"}
    got = lines.select(seizures_schema().names).sort_by([("case_id", "ascending"), ("line_no", "ascending")])
    want = batch.table.sort_by([("case_id", "ascending"), ("line_no", "ascending")])
    assert got.equals(want)


def test_same_content_again_is_unchanged_and_writes_nothing(wh: Warehouse) -> None:
    first = wh.submit(make_batch(n=4))
    before = wh.submissions()
    again = wh.submit(make_batch(n=4))
    assert again.status == UNCHANGED
    assert (again.submission_id, again.version, again.rows) == (first.submission_id, 1, 4)
    pd.testing.assert_frame_equal(wh.submissions(), before)
    assert wh.seizures().count().execute() == 4


def test_new_content_supersedes_and_keeps_history(wh: Warehouse) -> None:
    v1 = wh.submit(make_batch(n=4, variant=0))
    v2 = wh.submit(make_batch(n=5, variant=1))
    assert v2.status == SUPERSEDED_PREVIOUS and v2.version == 2 and v2.superseded_id == v1.submission_id
    log = wh.submissions().set_index("version")
    assert log.loc[1, "status"] == "superseded" and log.loc[2, "status"] == "current"
    assert log.loc[1, "superseded_at"] == log.loc[2, "submitted_at"]
    # current view: only v2's lines; history still holds v1's lines
    current = wh.seizures().to_pyarrow()
    assert current.num_rows == 5 and set(current["submission_id"].to_pylist()) == {v2.submission_id}
    assert wh.con.table("seizure_lines").count().execute() == 9


def test_reverting_to_an_older_content_is_a_new_version(wh: Warehouse) -> None:
    wh.submit(make_batch(variant=0))
    wh.submit(make_batch(variant=1))
    back = wh.submit(make_batch(variant=0))
    assert back.status == SUPERSEDED_PREVIOUS and back.version == 3
    log = wh.submissions()
    assert log["status"].tolist() == ["superseded", "superseded", "current"]
    assert log.loc[0, "content_hash"] == log.loc[2, "content_hash"]


def test_as_of_returns_the_version_current_at_that_instant(wh: Warehouse) -> None:
    v1 = wh.submit(make_batch(n=3, variant=0))
    v2 = wh.submit(make_batch(n=4, variant=1))
    other = wh.submit(make_batch("NL", "2016Q3", n=2))

    def ids(as_of: object) -> set[int]:
        return set(wh.seizures(as_of=as_of).to_pandas()["submission_id"])

    assert ids(v1.submitted_at - timedelta(seconds=1)) == set()
    assert ids(v1.submitted_at) == {v1.submission_id}
    between = v1.submitted_at + (v2.submitted_at - v1.submitted_at) / 2
    assert ids(between) == {v1.submission_id}
    assert ids(v2.submitted_at) == {v2.submission_id}  # superseded_at == T: no longer current at T
    assert ids(other.submitted_at) == {v2.submission_id, other.submission_id}
    assert ids(datetime.now(UTC) + timedelta(days=1)) == ids(None)
    # strings and naive datetimes are UTC
    assert ids(v1.submitted_at.replace(tzinfo=None).isoformat()) == {v1.submission_id}


def test_a_replay_logs_when_each_submission_was_received(wh: Warehouse) -> None:
    received = datetime(2016, 11, 20, 10, 30, tzinfo=timezone(timedelta(hours=1)))  # Brussels in winter
    first = wh.submit(make_batch(n=3), received_at=received)
    assert first.submitted_at == received and first.submitted_at.tzinfo is not None
    (logged,) = wh.submissions()["submitted_at"]
    assert logged == pd.Timestamp("2016-11-20 09:30", tz="UTC")
    with pytest.raises(InvalidValue, match="no time zone"):
        wh.submit(make_batch(n=4, variant=1), received_at=datetime(2016, 12, 1))
    assert len(wh.submissions()) == 1  # nothing written
    # a correction received later supersedes the first at its own receipt time
    later = wh.submit(make_batch(n=4, variant=1), received_at=received + timedelta(days=30))
    log = wh.submissions().set_index("version")
    assert log.loc[1, "superseded_at"] == later.submitted_at == log.loc[2, "submitted_at"]


def test_filters_by_admin_and_quarter(wh: Warehouse) -> None:
    wh.submit(make_batch("DE", "2016Q3", 3))
    wh.submit(make_batch("DE", "2016Q4", 4))
    wh.submit(make_batch("CN", "2016Q3", 5))
    assert wh.seizures().count().execute() == 12
    assert wh.seizures(admin="DE").count().execute() == 7
    assert wh.seizures(quarter="2016q3").count().execute() == 8
    assert wh.seizures(admin="CN", quarter="2016Q3").count().execute() == 5
    assert wh.seizures(admin="CN", quarter="2016Q4").count().execute() == 0
    assert len(wh.submissions(admin="DE")) == 2 and len(wh.submissions(quarter="2016Q4")) == 1


def test_submitted_by_defaults_to_setting_then_os_user(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "osuser")
    monkeypatch.setenv("IPRISK_USER", "")
    get_settings.cache_clear()
    try:
        wh.submit(make_batch("DE", "2016Q1"))
        monkeypatch.setenv("IPRISK_USER", "analyst7")
        get_settings.cache_clear()
        wh.submit(make_batch("DE", "2016Q2"))
        wh.submit(make_batch("DE", "2016Q3"), user="explicit")
    finally:
        get_settings.cache_clear()
    assert wh.submissions()["submitted_by"].tolist() == ["osuser", "analyst7", "explicit"]


def test_batch_must_agree_with_admin_and_quarter_given(wh: Warehouse) -> None:
    with pytest.raises(InvalidSubmission) as info:
        wh.submit(make_batch("DE", "2016Q3"), admin="NL", quarter="2016Q4")
    assert {p.rule for p in info.value.problems} == {"admin_mismatch", "quarter_mismatch"}
    assert wh.submissions().empty


def test_batch_missing_a_canonical_column_is_refused(wh: Warehouse) -> None:
    batch = make_batch()
    batch.table = batch.table.drop_columns(["office"])
    with pytest.raises(InvalidSubmission) as info:
        wh.submit(batch)
    assert info.value.problems[0].column == "office"
    assert wh.submissions().empty


def test_close_releases_and_next_call_reopens(tmp_path: Path) -> None:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    wh.submit(make_batch())
    wh.close()
    wh.close()  # idempotent
    assert wh.closed
    assert len(wh.submissions()) == 1  # reopened
    assert not wh.closed
    wh.close()


def test_open_uses_the_warehouse_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-env.duckdb"
    monkeypatch.setenv("IPRISK_WAREHOUSE", str(target))
    get_settings.cache_clear()
    try:
        with Warehouse.open() as wh:
            assert wh.location == str(target)
            wh.submit(make_batch())
    finally:
        get_settings.cache_clear()
    with Warehouse.open(f"duckdb://{target}") as wh:
        assert len(wh.submissions()) == 1


def test_open_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="warehouse not found"):
        Warehouse.open(tmp_path / "missing.duckdb", create=False)
    assert not (tmp_path / "missing.duckdb").exists()
    Warehouse.open(tmp_path / "there.duckdb").close()
    Warehouse.open(tmp_path / "there.duckdb", create=False).close()


def test_memory_warehouse(tmp_path: Path) -> None:
    with Warehouse.open(":memory:") as wh:
        wh.submit(make_batch())
        assert wh.seizures().count().execute() == 5


def test_not_a_database_file_is_a_warehouse_error(tmp_path: Path) -> None:
    bad = tmp_path / "junk.duckdb"
    bad.write_text("this is not a database\n" * 100)
    with pytest.raises(WarehouseError):
        Warehouse.open(bad)


def test_other_backends_read_but_refuse_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        wh.submit(make_batch())
    # Any non-DuckDB URL goes through ibis.connect; stand in a plain Ibis backend for one.
    monkeypatch.setattr(ibis, "connect", lambda url: ibis.duckdb.connect(str(path)))
    with Warehouse.open("postgres://example/iprisk") as wh:
        assert not wh.writable
        assert wh.seizures().count().execute() == 5
        assert len(wh.submissions()) == 1
        with pytest.raises(Unsupported, match="read-only"):
            wh.submit(make_batch(variant=1))
        with pytest.raises(Unsupported):
            wh.load_trade(pa.table({"quarter": ["2016Q3"]}))
    monkeypatch.setattr(ibis, "connect", lambda url: ibis.duckdb.connect())
    with Warehouse.open("postgres://example/empty") as wh, pytest.raises(NotFound, match="submissions"):
        wh.submissions()


def test_parse_timestamp() -> None:
    assert parse_timestamp("2026-01-31T12:00:00Z") == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parse_timestamp("2026-01-31T14:00:00+02:00") == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parse_timestamp("2026-01-31") == datetime(2026, 1, 31, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a timestamp"):
        parse_timestamp("yesterday-ish")


def test_a_hand_built_batch_may_hold_a_pandas_frame_and_a_text_quarter(wh: Warehouse) -> None:
    batch = make_batch("FR", "2017Q2", 3)
    batch.table = batch.table.to_pandas()
    batch.quarter = "2017-q2"  # type: ignore[assignment]
    result = wh.submit(batch)
    assert (result.status, result.quarter, result.rows) == (STORED, "2017Q2", 3)
    assert wh.seizures(quarter="2017Q2").count().execute() == 3
