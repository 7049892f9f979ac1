"""The lifecycle on a controllable clock: steps, who takes them, deadlines, reminders, escalation, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iprisk.formats.referrals import Feedback, ReferralWarning, read_feedback, read_warning
from iprisk.referrals.errors import NotPermitted, StepOutOfOrder
from iprisk.referrals.lifecycle import (
    Deadlines,
    Referral,
    acknowledge,
    add_working_days,
    close,
    draft,
    give_feedback,
    incoming,
    receive,
    send,
    tick,
)
from tests.referrals.conftest import (
    CN_COORDINATOR,
    CN_OFFICER,
    EU_ANALYST,
    EU_COORDINATOR,
    EU_OFFICER,
    EU_OTHER_PORT,
    MONDAY,
    warning_data,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _sent(warning: ReferralWarning, at: datetime = MONDAY) -> Referral:
    ref, _ = draft(warning, CN_OFFICER, at)
    ref, _ = send(ref, CN_OFFICER, at)
    return ref


def _feedback(ref: Referral, at: datetime, **changes: Any) -> Feedback:
    data = {
        "referral_id": ref.id, "result": "seized", "control_type": "physical", "control_date": "2026-04-01",
        "articles_detained": 2400, "value_eur": 90000.0, "ipr_type_confirmed": "trademark",
        "at": at.isoformat(),
    }  # fmt: skip
    data.update(changes)
    return read_feedback({k: v for k, v in data.items() if v is not None})


def test_the_whole_lifecycle_leaves_one_event_per_step(warning: ReferralWarning) -> None:
    events = []
    ref, event = draft(warning, CN_OFFICER, MONDAY)
    events.append(event)
    for make in (
        lambda r: send(r, CN_OFFICER, MONDAY),
        lambda r: receive(r, MONDAY + HOUR),
        lambda r: acknowledge(r, EU_OFFICER, MONDAY + 3 * HOUR, "will scan on arrival"),
        lambda r: give_feedback(r, EU_OFFICER, _feedback(r, MONDAY + 31 * DAY)),
        lambda r: close(r, CN_OFFICER, MONDAY + 32 * DAY),
    ):
        ref, event = make(ref)
        events.append(event)
    assert ref.state == "closed" and ref.current_feedback is not None
    assert [(e.step, e.from_state, e.to_state) for e in events] == [
        ("draft", None, "drafted"), ("send", "drafted", "sent"), ("receive", "sent", "received"),
        ("acknowledge", "received", "acknowledged"), ("feedback", "acknowledged", "feedback_given"),
        ("close", "feedback_given", "closed"),
    ]  # fmt: skip
    assert [e.by for e in events] == ["li.wei", "li.wei", "system", "jan.devries", "jan.devries", "li.wei"]
    assert ref.acknowledged_at == MONDAY + 3 * HOUR and events[3].details == {"note": "will scan on arrival"}


def test_feedback_before_acknowledgement_acknowledges_and_a_second_amends(warning: ReferralWarning) -> None:
    ref = _sent(warning)
    first = _feedback(ref, MONDAY + 2 * DAY, result="not_arrived", control_type=None, control_date=None,
                      articles_detained=0, value_eur=None, ipr_type_confirmed=None)  # fmt: skip
    ref, event = give_feedback(ref, EU_OFFICER, first)
    assert ref.state == "feedback_given" and ref.acknowledged_at == MONDAY + 2 * DAY
    ref, event = give_feedback(ref, EU_OFFICER, _feedback(ref, MONDAY + 33 * DAY))
    assert [f.result for f in ref.feedback] == ["not_arrived", "seized"]
    assert ref.current_feedback is not None and ref.current_feedback.result == "seized"
    assert ref.first_feedback_at == MONDAY + 2 * DAY and event.details == {"result": "seized", "amends": 1}


def test_steps_out_of_order_are_refused_with_the_reason(warning: ReferralWarning) -> None:
    drafted, _ = draft(warning, CN_OFFICER, MONDAY)
    with pytest.raises(StepOutOfOrder, match="not sent yet"):
        acknowledge(drafted, EU_OFFICER, MONDAY)
    with pytest.raises(StepOutOfOrder, match="not sent yet"):
        give_feedback(drafted, EU_OFFICER, _feedback(drafted, MONDAY))
    ref = _sent(warning)
    with pytest.raises(StepOutOfOrder, match="sent already"):
        send(ref, CN_OFFICER, MONDAY)
    with pytest.raises(StepOutOfOrder, match="no feedback yet"):
        close(ref, CN_OFFICER, MONDAY)
    ref, _ = acknowledge(ref, EU_OFFICER, MONDAY + HOUR)
    with pytest.raises(StepOutOfOrder, match="acknowledged already"):
        acknowledge(ref, EU_OFFICER, MONDAY + 2 * HOUR)
    ref, _ = give_feedback(ref, EU_OFFICER, _feedback(ref, MONDAY + DAY))
    ref, _ = close(ref, CN_OFFICER, MONDAY + 2 * DAY)
    with pytest.raises(StepOutOfOrder, match="closed"):
        give_feedback(ref, EU_OFFICER, _feedback(ref, MONDAY + 3 * DAY))
    other = read_feedback({**_feedback(ref, MONDAY).model_dump(mode="json", exclude_none=True),
                           "referral_id": "0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e"})  # fmt: skip
    with pytest.raises(StepOutOfOrder, match="the feedback is for"):
        give_feedback(_sent(warning), EU_OFFICER, other)


def test_an_expired_warning_cannot_be_sent(warning: ReferralWarning) -> None:
    ref, _ = draft(warning, CN_OFFICER, MONDAY)
    with pytest.raises(StepOutOfOrder, match="expiry 2026-04-30 has passed"):
        send(ref, CN_OFFICER, datetime(2026, 5, 1, tzinfo=UTC))


def test_only_the_right_people_act(warning: ReferralWarning) -> None:
    ref = _sent(warning)
    with pytest.raises(NotPermitted, match="the receiving port is NLRTM; the officer's ports are DEHAM"):
        acknowledge(ref, EU_OTHER_PORT, MONDAY)
    with pytest.raises(NotPermitted, match="role analyst cannot"):
        acknowledge(ref, EU_ANALYST, MONDAY)
    with pytest.raises(NotPermitted, match="of side EU, not CN"):
        acknowledge(ref, CN_COORDINATOR, MONDAY)
    with pytest.raises(NotPermitted, match="sending port CNSHA, of side CN, not EU"):
        draft(warning, EU_OFFICER, MONDAY)
    acknowledged, _ = acknowledge(
        ref, EU_COORDINATOR, MONDAY
    )  # the coordinator acts for any port of the side
    assert acknowledged.state == "acknowledged"


def test_receiving_twice_changes_nothing_and_incoming_starts_received(warning: ReferralWarning) -> None:
    ref, _ = receive(_sent(warning), MONDAY + HOUR)
    again, event = receive(ref, MONDAY + 2 * HOUR)
    assert again == ref and event.details == {"repeat": True}
    arrived, event = incoming(ref.warning, MONDAY, MONDAY + HOUR)
    assert arrived.state == "received" and arrived.sent_at == MONDAY and event.by == "system"


def test_working_days_skip_the_weekend() -> None:
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    assert add_working_days(friday, 1) == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    assert add_working_days(MONDAY, 1) == MONDAY + DAY


def test_overdue_steps_remind_then_escalate_then_expire(warning: ReferralWarning) -> None:
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    ref = _sent(read_warning(warning_data(expected_arrival="2026-03-20", expiry="2026-03-25")), friday)
    deadlines = Deadlines()
    steps: list[tuple[str, str]] = []
    clock = friday
    while ref.state != "expired":
        clock += 6 * HOUR
        ref, events = tick(ref, clock, deadlines)
        steps += [(e.step, e.details.get("alert", e.to_state)) for e in events]
        if events and events[0].step == "remind" and events[0].details["alert"] == "ack_reminder":
            assert clock == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # Monday: one working day after Friday
    assert steps == [
        ("remind", "ack_reminder"), ("escalate", "ack_escalation"), ("remind", "feedback_reminder"),
        ("escalate", "feedback_escalation"), ("expire", "expired"),
    ]  # fmt: skip
    # feedback due 30 days after the expected arrival, escalation 7 days later, expiry once both passed
    assert ref.expired_at == datetime(2026, 4, 26, 17, 0, tzinfo=UTC)
    assert tick(ref, clock + 10 * DAY, deadlines) == (ref, [])  # nothing more, nothing twice


def test_acknowledged_in_time_gets_no_ack_alert(warning: ReferralWarning) -> None:
    ref, _ = acknowledge(_sent(warning), EU_OFFICER, MONDAY + HOUR)
    ref, events = tick(ref, MONDAY + 61 * DAY)  # feedback was due 30 days after the arrival (1 April)
    assert [e.details["alert"] for e in events] == ["feedback_reminder"]


def test_deadlines_per_legal_basis(warning: ReferralWarning) -> None:
    deadlines = Deadlines(feedback_days={"cmaa_request": 60, "action_plan": 30})
    slow = read_warning(warning_data(legal_basis="cmaa_request"))
    assert deadlines.feedback_due(MONDAY, slow) - deadlines.feedback_due(MONDAY, warning) == 30 * DAY


def test_deadlines_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from iprisk.errors import InvalidValue
    from iprisk.settings import Settings

    monkeypatch.setenv("IPRISK_REFERRAL_FEEDBACK_DAYS_BY_BASIS", '{"cmaa_request": 60}')
    monkeypatch.setenv("IPRISK_REFERRAL_ACK_WORKING_DAYS", "2")
    deadlines = Deadlines.from_settings(Settings())
    assert deadlines.feedback_days == {"cmaa_spontaneous": 30, "cmaa_request": 60, "action_plan": 30}
    assert deadlines.ack_due(MONDAY) == MONDAY + 2 * DAY
    monkeypatch.setenv("IPRISK_REFERRAL_FEEDBACK_DAYS_BY_BASIS", '{"treaty": 60}')
    with pytest.raises(InvalidValue, match="not legal basis codes: treaty"):
        Deadlines.from_settings(Settings())


def test_a_step_out_of_order_is_a_conflict_for_the_error_map(warning: ReferralWarning) -> None:
    from iprisk.errors import exit_code, http_status

    with pytest.raises(StepOutOfOrder) as info:
        send(_sent(warning), CN_OFFICER, MONDAY)
    assert (exit_code(info.value), http_status(info.value)) == (1, 409)
    assert info.value.state == "sent" and info.value.step == "send"
