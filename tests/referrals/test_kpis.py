"""KPIs per quarter and port pair, computed exactly on a hand-built set; no personal data in them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from iprisk.formats.referrals import read_feedback, read_warning
from iprisk.referrals.kpis import KPI_COLUMNS, ROW_SCHEMA, kpis, referral_rows
from iprisk.referrals.lifecycle import Referral, acknowledge, draft, give_feedback, send
from tests.referrals.conftest import CN_OFFICER, EU_COORDINATOR, MONDAY, warning_data

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PARTY_NAME = "Shenzhen Widget Trading"


def _referral(
    ack_hours: float | None, result: str | None, *, receiving: str = "NLRTM", **fb: Any
) -> Referral:
    data = warning_data(receiving_port=receiving, arrival_port=receiving, legal_basis="cmaa_request",
                        parties=[{"role": "consignor", "name": PARTY_NAME}])  # fmt: skip
    ref, _ = draft(read_warning(data), CN_OFFICER, MONDAY)
    ref, _ = send(ref, CN_OFFICER, MONDAY)
    if ack_hours is not None:
        ref, _ = acknowledge(ref, EU_COORDINATOR, MONDAY + ack_hours * HOUR)
    if result is not None:
        controlled = result in ("seized", "released")
        at = fb.pop("at", datetime(2026, 4, 3, 9, 0))
        feedback = {
            "referral_id": ref.id, "result": result, "at": at.isoformat() + "Z",
            **({"control_type": "physical", "control_date": "2026-04-02"} if controlled else {}),
            **({"ipr_type_confirmed": "trademark"} if result == "seized" else {}), **fb,
            "text": f"checked by officer Jansen; shipper {PARTY_NAME}",
        }  # fmt: skip
        ref, _ = give_feedback(ref, EU_COORDINATOR, read_feedback(feedback))
    return ref


@pytest.fixture
def referrals() -> list[Referral]:
    return [
        _referral(2, "seized", articles_detained=100, value_eur=5000.0),
        _referral(
            10, "seized", articles_detained=50, value_eur=1000.0, at=datetime(2026, 5, 20, 9, 0)
        ),  # late
        _referral(30, "released"),  # acknowledged late (after one working day)
        _referral(4, "not_arrived"),
        _referral(None, None),  # never acknowledged: overdue
        _referral(1, "seized", receiving="DEHAM", articles_detained=7, value_eur=70.0),
    ]


def test_kpis_per_port_pair(referrals: list[Referral]) -> None:
    now = MONDAY + 5 * DAY
    table = kpis(referral_rows(referrals), now=now)
    assert table.column_names == list(KPI_COLUMNS)
    rows = {r["receiving_port"]: r for r in table.to_pylist()}
    rtm = rows["NLRTM"]
    assert (rtm["quarter"], rtm["sending_port"], rtm["sent"], rtm["received"], rtm["acknowledged"]) == (
        "2026Q1", "CNSHA", 5, 4, 4
    )  # fmt: skip
    assert rtm["ack_median_hours"] == pytest.approx(7.0)  # of 2, 4, 10, 30 hours
    assert rtm["ack_p90_hours"] == pytest.approx(10 + 0.7 * 20)  # linear interpolation
    assert rtm["ack_in_time_share"] == pytest.approx(3 / 5)
    assert rtm["feedback_in_time_share"] == pytest.approx(3 / 5)  # one late, one without feedback
    assert (rtm["controlled"], rtm["seized"], rtm["hit_rate"]) == (3, 2, pytest.approx(2 / 3))
    assert (rtm["articles_seized"], rtm["value_seized_eur"]) == (150, 6000.0)
    assert rtm["overdue_now"] == 1
    assert rows["DEHAM"]["hit_rate"] == 1.0 and rows["DEHAM"]["articles_seized"] == 7


def test_a_quarter_can_be_chosen_and_nothing_controlled_has_no_hit_rate(referrals: list[Referral]) -> None:
    assert kpis(referral_rows(referrals), now=MONDAY, quarter="2026Q2").num_rows == 0
    table = kpis(referral_rows([_referral(None, None)]), now=MONDAY, quarter="2026Q1")
    assert table.to_pylist()[0]["hit_rate"] is None


def test_drafts_are_not_in_the_state_of_play() -> None:
    ref, _ = draft(read_warning(warning_data()), CN_OFFICER, MONDAY)
    assert referral_rows([ref]).num_rows == 0


def test_no_personal_data_in_the_rows_or_the_kpis(referrals: list[Referral]) -> None:
    rows = referral_rows(referrals)
    assert rows.schema == ROW_SCHEMA
    for table in (rows, kpis(rows, now=MONDAY)):
        text = repr(table.to_pylist())
        assert PARTY_NAME not in text and "Jansen" not in text
        assert "jan.devries" not in text and "li.wei" not in text and "eu.coord" not in text
        assert not {"parties", "reasons", "text", "by", "description"} & set(table.column_names)


def test_the_state_of_play_indicators_of_a_quarter_from_one_side() -> None:
    from iprisk.referrals.kpis import STATE_OF_PLAY_KPIS, state_of_play_kpis

    refs = [
        _referral(6, "seized", articles_detained=2400, value_eur=90000.0),
        _referral(30, "released"),
        _referral(None, None, receiving="DEHAM"),
    ]
    now = datetime(2026, 6, 1, tzinfo=MONDAY.tzinfo)
    table = state_of_play_kpis(refs, quarter="2026Q1", now=now, side="CN")
    assert table is not None
    values = dict(zip(table["kpi"], table["value"], strict=True))
    assert list(values) == [k for k in STATE_OF_PLAY_KPIS if k in values]
    assert values["referrals_sent"] == 3 and values["referrals_received"] == 0  # CN sent them all
    assert values["ack_median_hours"] == 18.0 and values["feedback_received"] == 2
    assert values["feedback_rate"] == pytest.approx(200 / 3) and values["hits"] == 1
    assert values["hit_rate"] == 50.0 and values["articles_seized"] == 2400
    assert values["value_seized_eur"] == 90000.0 and values["overdue_now"] == 1
    at_eu = state_of_play_kpis(refs, quarter="2026Q1", now=now, side="EU")
    assert at_eu is not None
    eu = dict(zip(at_eu["kpi"], at_eu["value"], strict=True))
    assert eu["referrals_sent"] == 0 and eu["referrals_received"] == 2  # the third was never received
    other = state_of_play_kpis(refs, quarter="2026Q2", now=now, side="CN")
    assert other is not None and "hit_rate" not in set(other["kpi"])  # nothing controlled: no rate
    assert state_of_play_kpis([], quarter="2026Q1", now=now) is None
    assert PARTY_NAME not in table.to_csv()
