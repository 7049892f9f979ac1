"""Referrals and their steps are stored whole, on SQLite and PostgreSQL; a failed step stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from iprisk.errors import NotFound
from iprisk.formats.referrals import Feedback, read_feedback, read_warning
from iprisk.referrals import (
    NotPermitted,
    StepOutOfOrder,
    acknowledge,
    draft,
    give_feedback,
    incoming,
    send,
    tick,
)
from iprisk.referrals.network import key_port
from iprisk.store import ReferralStore
from tests.referrals.conftest import CN_OFFICER, EU_OFFICER, EU_OTHER_PORT, MONDAY, warning_data

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def test_a_referral_and_its_steps_round_trip(store_database_url: str) -> None:
    with ReferralStore(store_database_url) as store:
        ref = store.add(*draft(read_warning(warning_data()), CN_OFFICER, MONDAY))
        store.step(ref.id, lambda r: send(r, CN_OFFICER, MONDAY))
        store.step(ref.id, lambda r: acknowledge(r, EU_OFFICER, MONDAY + HOUR, "on it"))
        feedback = read_feedback(
            {"referral_id": ref.id, "result": "not_arrived", "at": "2026-04-20T08:00:00Z"}
        )
        done = store.step(ref.id, lambda r: give_feedback(r, EU_OFFICER, feedback))
        stored = store.get(ref.id)
        assert stored == done and stored.state == "feedback_given" and stored.acknowledged_at == MONDAY + HOUR
        assert stored.feedback == (feedback,)
        events = store.events(ref.id)
        assert [e.step for e in events] == ["draft", "send", "acknowledge", "feedback"]
        assert (
            events[2].by == "jan.devries" and events[2].details == {"note": "on it"} and events[2].at.tzinfo
        )
        assert [r.id for r in store.referrals(states=["feedback_given"], ports=["NLRTM"])] == [ref.id]
        assert store.referrals(ports=["DEHAM"]) == [] and store.referrals(states=["sent"]) == []


def test_a_refused_step_stores_nothing(store_database_url: str) -> None:
    with ReferralStore(store_database_url) as store:
        ref = store.add(*draft(read_warning(warning_data()), CN_OFFICER, MONDAY))
        store.step(ref.id, lambda r: send(r, CN_OFFICER, MONDAY))
        with pytest.raises(NotPermitted):
            store.step(ref.id, lambda r: acknowledge(r, EU_OTHER_PORT, MONDAY + HOUR))
        with pytest.raises(StepOutOfOrder):
            store.step(ref.id, lambda r: send(r, CN_OFFICER, MONDAY))
        assert store.get(ref.id).state == "sent" and len(store.events(ref.id)) == 2
        with pytest.raises(NotFound):
            store.get("0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e")


def test_a_repeated_delivery_is_stored_once_and_the_clock_steps_are_recorded(store_database_url: str) -> None:
    warning = read_warning(warning_data(id="0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e"))
    with ReferralStore(store_database_url) as store:
        first = store.add(*incoming(warning, MONDAY, MONDAY + HOUR))
        again = store.add(*incoming(warning, MONDAY, MONDAY + 2 * HOUR))
        assert again == first and len(store.events(first.id)) == 1
        ref = store.step(first.id, lambda r: tick(r, MONDAY + 3 * 24 * HOUR))
        assert ref.alerts == ("ack_reminder", "ack_escalation")
        assert [e.step for e in store.events(first.id)] == ["receive", "remind", "escalate"]
        store.step(first.id, lambda r: tick(r, MONDAY + 3 * 24 * HOUR))  # nothing due: nothing written
        assert len(store.events(first.id)) == 3


def test_the_network_is_the_default_until_the_coordinator_edits_it(store_database_url: str) -> None:
    with ReferralStore(store_database_url) as store:
        network = store.network()
        assert len(network) == 44
        store.save_network(network.with_port(key_port("ITVCE", "sea", "Venezia IPR unit")), by="eu.coord")
        edited = store.network()
        assert len(edited) == 45 and edited["ITVCE"].contact_unit == "Venezia IPR unit"
        assert edited["CNSHA"] == network["CNSHA"]


def test_the_kpi_rows_read_column_wise_are_the_rows_of_the_referrals_read_back(
    store_database_url: str,
) -> None:
    """Every state (a draft, which has no row), amended feedback, feedback given at +08:00, a referral
    overdue and one expired, two legal bases with their own feedback deadline: the same table either way."""
    from iprisk.referrals import Deadlines, close, kpis, receive, referral_rows

    deadlines = Deadlines(feedback_days={"action_plan": 30, "cmaa_request": 10})

    def feedback(ref_id: str, at: str, result: str = "seized", **more: object) -> Feedback:
        controlled = {"control_type": "physical", "control_date": "2026-04-01"}
        fields = controlled | {"articles_detained": 12, "ipr_type_confirmed": "trademark"}
        body = {"referral_id": ref_id, "result": result, "at": at, **more}
        return read_feedback(
            body | (fields if result == "seized" else controlled if result == "released" else {})
        )

    with ReferralStore(store_database_url) as store:
        refs = []
        for i, (basis, arrival) in enumerate(
            [("action_plan", "2026-04-01"), ("cmaa_request", "2026-03-03"), ("action_plan", "2026-03-20")] * 3
        ):
            data = warning_data(legal_basis=basis, expected_arrival=arrival, reference=f"R{i}")
            refs.append(store.add(*draft(read_warning(data), CN_OFFICER, MONDAY + i * HOUR)).id)
        drafted, sent, received, acked, fed, amended, closed, expired, late = refs
        for rid in refs[1:]:
            store.step(rid, lambda r: send(r, CN_OFFICER, MONDAY + 9 * HOUR))
        for rid in refs[2:]:
            store.step(rid, lambda r: receive(r, MONDAY + 10 * HOUR))
        for rid in (acked, fed, amended, closed):
            store.step(rid, lambda r: acknowledge(r, EU_OFFICER, MONDAY + 30 * HOUR))
        store.step(fed, lambda r: give_feedback(r, EU_OFFICER, feedback(fed, "2026-04-02T10:00:00+08:00")))
        store.step(amended, lambda r: give_feedback(r, EU_OFFICER, feedback(amended, "2026-04-02T09:00:00Z")))
        again = feedback(amended, "2026-04-03T09:00:00Z", "released")
        store.step(amended, lambda r: give_feedback(r, EU_OFFICER, again))
        seized = feedback(closed, "2026-03-25T09:00:00Z", value_eur=1500.5)
        store.step(closed, lambda r: give_feedback(r, EU_OFFICER, seized))
        store.step(closed, lambda r: close(r, CN_OFFICER, MONDAY + 40 * DAY))
        store.step(
            late,
            lambda r: give_feedback(r, EU_OFFICER, feedback(late, "2026-05-30T09:00:00Z", "not_arrived")),
        )
        store.tick(MONDAY + 80 * DAY, deadlines)  # expires what is still open, `expired` among them
        store.step(late, lambda r: close(r, CN_OFFICER, MONDAY + 81 * DAY))
        states = {r.id: r.state for r in store.referrals()}
        assert states[drafted] == "drafted" and states[fed] == states[amended] == "feedback_given"
        assert states[sent] == states[received] == states[acked] == states[expired] == "expired"
        assert states[closed] == states[late] == "closed"
        # the referrals open at the KPIs' `now` (the tick above expired them at a later time) come from a
        # second set stepped only to `sent` / `received` / `acknowledged`
        for i, step in enumerate(("sent", "received", "acknowledged")):
            rid = store.add(*draft(read_warning(warning_data(reference=f"O{i}")), CN_OFFICER, MONDAY)).id
            store.step(rid, lambda r: send(r, CN_OFFICER, MONDAY + 2 * DAY))
            if step != "sent":
                store.step(rid, lambda r: receive(r, MONDAY + 2 * DAY + HOUR))
            if step == "acknowledged":
                store.step(rid, lambda r: acknowledge(r, EU_OFFICER, MONDAY + 3 * DAY))
        read_back = referral_rows(store.referrals(), deadlines)
        column_wise = store.kpi_rows(deadlines)
        assert column_wise.equals(read_back) and column_wise.num_rows == 11
        assert drafted not in column_wise["referral_id"].to_pylist()
        assert {"sent", "received", "acknowledged"} <= set(column_wise["state"].to_pylist())
        for now in (MONDAY + 3 * DAY, MONDAY + 20 * DAY):  # overdue: none yet, then some
            assert kpis(column_wise, now=now).equals(kpis(read_back, now=now))
        assert kpis(column_wise, now=MONDAY + 20 * DAY)["overdue_now"].to_pylist() != [0]
