"""Referrals and their steps are stored whole, on SQLite and PostgreSQL; a failed step stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from iprisk.errors import NotFound
from iprisk.formats.referrals import read_feedback, read_warning
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
