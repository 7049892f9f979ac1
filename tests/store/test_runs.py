"""The run log of reports built, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from iprisk.store import RUN_COLUMNS, RunLog


def test_runs_are_recorded_and_read_back(store_database_url: str, fresh_settings: None) -> None:
    with RunLog(store_database_url) as log:
        assert log.runs().empty and list(log.runs().columns) == list(RUN_COLUMNS)
        first = log.record(
            "annual",
            "2016",
            locale="zh",
            formats=["html", "pdf"],
            snapshot="ab" * 32,
            code_version="0.1.0",
            at=datetime(2017, 3, 1, 9, tzinfo=UTC),
        )
        second = log.record(
            "newsletter", "2016Q4", locale="en", formats=["pdf"], snapshot="cd" * 32, code_version="0.1.0"
        )
        runs = log.runs()
    assert second == first + 1
    assert runs["kind"].tolist() == ["annual", "newsletter"]
    assert runs.iloc[0]["formats"] == "html,pdf" and runs.iloc[0]["by"] == "tester"
    assert runs.iloc[0]["at"] == datetime(2017, 3, 1, 9, tzinfo=UTC)
    assert str(runs["at"].dt.tz) == "UTC"
