"""The state of play: statistics on time per administration and quarter, reports built, profile statuses and
the referral KPIs, from hand-made logs with known dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from iprisk.i18n import Text
from iprisk.reports import StateOfPlayInputs, referral_section, render_text, state_of_play
from iprisk.reports.facts import Facts
from iprisk.reports.snapshot import DataSnapshot
from iprisk.reports.state_of_play import deadline, receipts, status_at
from tests.reports.conftest import Built
from tests.warehouse.samples import make_batch


def _log() -> pd.DataFrame:
    rows = [
        # admin, quarter, version, submitted_at
        ("DE", "2016Q3", 1, "2016-10-20"),
        ("DE", "2016Q3", 2, "2016-12-20"),  # a correction later does not make the first late
        ("DE", "2016Q4", 1, "2017-02-14"),  # the last day: on time
        ("NL", "2016Q3", 1, "2016-11-15"),  # one day late
        ("NL", "2016Q4", 1, "2017-03-20"),
        ("CN", "2016Q4", 1, "2017-01-05"),  # CN sent nothing for 2016Q3
    ]
    return pd.DataFrame(
        {
            "reporting_admin": [r[0] for r in rows],
            "quarter": [r[1] for r in rows],
            "version": [r[2] for r in rows],
            "submitted_at": pd.to_datetime([r[3] for r in rows], utc=True) + pd.Timedelta(hours=23),
            "status": ["superseded", "current", "current", "current", "current", "current"],
            "content_hash": ["a" * 64] * 6,
        }
    )


def test_on_time_means_the_first_version_by_the_deadline() -> None:
    assert deadline("2016Q3", 45) == date(2016, 11, 14)
    table = receipts(_log(), ["2016Q3", "2016Q4"], 45).set_index(["reporting_admin", "quarter"])
    assert table.loc[("DE", "2016Q3"), "on_time"] and table.loc[("DE", "2016Q3"), "received"] == date(
        2016, 10, 20
    )
    assert table.loc[("DE", "2016Q4"), "on_time"]
    assert table.loc[("NL", "2016Q3"), "days_late"] == 1 and not table.loc[("NL", "2016Q3"), "on_time"]
    assert table.loc[("NL", "2016Q4"), "days_late"] == 34
    assert not table.loc[("CN", "2016Q3"), "received_any"] and not table.loc[("CN", "2016Q3"), "on_time"]
    # a longer deadline setting makes NL's first quarter on time
    assert receipts(_log(), ["2016Q3"], 46).set_index("reporting_admin").loc["NL", "on_time"]


def test_profile_status_at_a_day_replays_the_events() -> None:
    events = pd.DataFrame(
        {
            "profile_id": ["P1", "P1", "P1", "P2"],
            "version": [1, 1, 1, 1],
            "action": ["create", "approve", "activate", "create"],
            "to_status": ["proposed", "approved", "active", "proposed"],
            "at": pd.to_datetime(
                ["2016-10-01", "2016-11-01", "2017-01-10", "2016-12-31 22:00"], utc=True, format="mixed"
            ),
        }
    )
    end = status_at(events, date(2016, 12, 31)).set_index("profile_id")["status"].to_dict()
    assert end == {"P1": "approved", "P2": "proposed"}
    assert status_at(events.iloc[:0], date(2016, 12, 31)).empty


def _inputs(kpis: pd.DataFrame | None = None) -> StateOfPlayInputs:
    runs = pd.DataFrame(
        {
            "kind": ["annual", "newsletter", "newsletter", "annual", "analysis", "analysis", "analysis"],
            "at": pd.to_datetime(
                [
                    "2016-02-01",
                    "2016-10-05",
                    "2016-12-01",
                    "2017-01-02",
                    "2015-12-31",
                    "2016-03-01",
                    "2016-12-31 23:59",
                ],
                utc=True,
                format="mixed",
            ),
        }
    )
    events = pd.DataFrame(
        {
            "profile_id": ["P1", "P1", "P2"],
            "version": [1, 1, 1],
            "action": ["create", "approve", "create"],
            "to_status": ["proposed", "approved", "proposed"],
            "at": pd.to_datetime(["2016-10-01", "2016-11-01", "2016-06-30"], utc=True),
        }
    )
    snapshot = DataSnapshot("f" * 64, pd.DataFrame(), 0)
    return StateOfPlayInputs("2016Q4", _log(), runs, events, snapshot, deadline_days=45, referral_kpis=kpis)


def test_the_document_counts_what_happened_in_the_quarter() -> None:
    doc = state_of_play(_inputs(), "en")
    sources = doc.sources
    assert sources["runs"].set_index("kind").loc["newsletter"].tolist() == [2, 2]
    assert sources["runs"].set_index("kind").loc["annual"][["quarter", "year"]].tolist() == [0, 1]
    # analysis runs (iprisk analyse) count like reports: by the day they ran
    assert sources["runs"].set_index("kind").loc["analysis"].tolist() == [1, 2]
    text = render_text(doc)
    assert "joint analyses" in text and "Analyses run and reports built" in text
    assert (
        "For 2016Q4, 2 of 3 administrations sent their statistics on time (deadline Feb 14, 2017); 0 have"
        in text
    )
    assert "1 profile versions proposed, 1 approved and 0 active" in text
    assert "During the quarter: 1 proposed, 1 approved, 0 activated." in text
    assert "34 days late" in text and "not received" in text
    assert "Not available: the referral exchange between ports is not in operation yet." in text


def test_referral_kpis_appear_when_the_exchange_gives_them() -> None:
    kpis = pd.DataFrame({"kpi": ["referrals_sent", "feedback_rate", "new_kpi"], "value": [120, 62.5, 3]})
    section = referral_section(Text("zh"), Facts({}), kpis)
    (table,) = section.blocks
    rows = [
        [c if isinstance(c, str) else getattr(c, "label", None) or c.text(Text("zh")) for c in row]
        for row in table.rows
    ]  # type: ignore[union-attr]
    assert rows == [["发出的通报", "120"], ["有反馈的通报占比（%）", "62.5"], ["new_kpi", "3"]]
    doc = state_of_play(_inputs(kpis), "zh")
    assert "通报指标" in render_text(doc)


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_no_statistics_yet(locale: str) -> None:
    empty = _inputs()
    empty = StateOfPlayInputs(
        "2016Q4", _log().iloc[:0], empty.runs.iloc[:0], empty.profile_events.iloc[:0], empty.snapshot
    )
    text = render_text(state_of_play(empty, locale))
    assert ("No statistics have been submitted yet." if locale == "en" else "尚未提交任何统计数据。") in text


def test_a_late_submission_shows_late_from_the_warehouse_log(tmp_path: Path) -> None:
    """From a real warehouse: the first version's receipt time decides; a later correction does not."""
    from iprisk.reports import state_of_play_inputs
    from iprisk.warehouse import Warehouse

    def at(day: str) -> datetime:
        return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)

    with Warehouse.open(tmp_path / "wh.duckdb") as wh:
        wh.submit(make_batch("DE", "2016Q3"), received_at=at("2016-10-20"))
        wh.submit(make_batch("NL", "2016Q3"), received_at=at("2016-12-01"))  # deadline Nov 14: 17 days late
        wh.submit(make_batch("DE", "2016Q3", variant=1), received_at=at("2017-01-10"))  # a correction
        play = state_of_play_inputs(wh, f"sqlite:///{tmp_path / 'ops.sqlite'}", "2016Q3", deadline_days=45)
    table = receipts(play.submissions, ["2016Q3"], 45).set_index("reporting_admin")
    assert table.loc["DE", "on_time"] and table.loc["DE", "received"] == date(2016, 10, 20)
    assert table.loc["NL", "days_late"] == 17 and not table.loc["NL", "on_time"]
    text = render_text(state_of_play(play, "en"))
    assert "on time (Oct 20, 2016)" in text and "17 days late" in text
    assert "For 2016Q3, 1 of 2 administrations sent their statistics on time" in text
    zh = render_text(state_of_play(play, "zh"))
    assert "2016年10月20日" in zh


def test_the_simulated_world_sends_most_statistics_on_time_and_some_late(built: Built) -> None:
    """The test world's files were submitted on the days of the simulator's calendar of receipts: the state
    of play shows a mix, not every quarter on time nor every quarter years late."""
    table = built.play_docs["en"].sources["receipts"]
    sent = {tuple(p.stem.split("_")) for p in (built.folder / "world" / "seizures").glob("*.csv")}
    assert [(a, q) in sent for a, q in zip(table["reporting_admin"], table["quarter"], strict=True)] == list(
        table["received_any"]
    )  # "not received" where the world had no seizures to send
    received = table[table["received_any"]]
    late = received[~received["on_time"]]
    assert 0 < len(late) < len(received) / 3, late
    assert (late["days_late"] < 180).all()
