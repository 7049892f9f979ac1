"""The two copies of a referral come back together: a step (or the warning) whose message expired in transit
shows in reconciliation, and sending it again closes the gap, applied once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from iprisk.exchange import ManualClock
from iprisk.link import DeliveryWorker, LinkConfig, reconcile
from iprisk.link.referral_sync import referral_manifest, resend_missing
from iprisk.link.referrals import STEP_KIND, WARNING_KIND
from iprisk.node.referrals import draft_referral, take_step
from iprisk.referrals import kpis, referral_rows
from iprisk.store.channel import OutgoingRow
from tests.link.twonodes import Side, two_nodes
from tests.referrals.conftest import CN_OFFICER, EU_OFFICER, MONDAY, warning_data

SEIZED = {"result": "seized", "control_type": "physical", "control_date": "2026-03-02",
          "articles_detained": 2400, "value_eur": 90000, "ipr_type_confirmed": "trademark"}  # fmt: skip


@pytest.fixture
def pair(tmp_path: Any) -> Any:
    eu, cn = two_nodes(tmp_path, ManualClock(MONDAY))
    yield cn, eu
    for side in (eu, cn):
        side.node.engine.dispose()


def _deliver(*sides: Side) -> None:
    for _ in range(4):
        if not any(DeliveryWorker(side.link).run_once().busy for side in sides):
            return


def _expiring_in_transit(side: Side, take: Any) -> None:
    """``take()`` a step at ``side`` whose message lives one hour, the peer unreachable until it expired."""
    kept = side.link.config
    side.link.config = LinkConfig(ttl=timedelta(hours=1))
    try:
        take()
    finally:
        side.link.config = kept
    side.node.clock.advance(timedelta(hours=2))
    side.link.deliver()  # past its expiry: given up, never sent


def _statuses(side: Side, kind: str) -> list[str]:
    with side.node.engine.connect() as connection:
        query = select(OutgoingRow.status).where(OutgoingRow.kind == kind).order_by(OutgoingRow.created)
        return list(connection.execute(query).scalars())


def _kpis(side: Side) -> list[dict[str, Any]]:
    rows = referral_rows(side.node.referrals.referrals())
    return kpis(rows, now=side.node.clock.now()).to_pylist()  # type: ignore[no-any-return]


def _sent(cn: Side) -> str:
    rid = str(draft_referral(cn.node, CN_OFFICER, warning_data())["id"])  # type: ignore[arg-type]
    take_step(cn.node, CN_OFFICER, rid, "send")  # type: ignore[arg-type]
    return rid


def test_an_acknowledgement_expired_in_transit_is_found_and_sent_again_once(pair: Any) -> None:
    cn, eu = pair
    rid = _sent(cn)
    _deliver(cn, eu)
    assert reconcile(eu.link, "CN").ok and reconcile(eu.link, "CN").referrals == 1

    _expiring_in_transit(eu, lambda: take_step(eu.node, EU_OFFICER, rid, "acknowledge", {"note": "scan"}))  # type: ignore[arg-type]
    assert _statuses(eu, STEP_KIND) == ["expired"]
    assert (eu.node.referrals.get(rid).state, cn.node.referrals.get(rid).state) == (
        "acknowledged",
        "received",
    )
    take_step(eu.node, EU_OFFICER, rid, "feedback", SEIZED)  # type: ignore[arg-type]
    _deliver(cn, eu)  # the feedback (seq 1) waits at CN for the acknowledgement (seq 0) that never comes
    assert cn.node.referrals.get(rid).state == "received"

    result = reconcile(eu.link, "CN")
    (difference,) = result.differences
    assert (difference.what, difference.key, difference.problem) == (
        "referral", rid, "state, steps or history differ"
    )  # fmt: skip
    assert "feedback_given, 0 sending and 2 receiving steps" in str(difference.here)
    assert "received, 0 sending and 0 receiving steps" in str(difference.there)

    assert resend_missing(cn.link, "EU", referral_manifest(eu.link)) == []  # nothing of CN's is missing
    resent = resend_missing(eu.link, "CN", result.their_referrals)
    assert [(r.step, r.seq, r.outcome) for r in resent] == [
        ("acknowledge", 0, "queued"),
        ("feedback", 1, "in flight"),
    ]  # fmt: skip  (the feedback's own message still retries: left to the channel)
    _deliver(cn, eu)
    eu.node.clock.advance(timedelta(hours=6))  # the feedback's next retry, after its backoff
    _deliver(cn, eu)
    assert reconcile(eu.link, "CN").ok and reconcile(cn.link, "EU").ok
    at_cn = cn.node.referrals.get(rid)
    assert (
        at_cn.state == "feedback_given"
        and at_cn.acknowledged_at == eu.node.referrals.get(rid).acknowledged_at
    )
    assert [e.details.get("note") for e in cn.node.referrals.events(rid) if e.step == "acknowledge"] == [
        "scan"
    ]
    assert _kpis(cn) == _kpis(eu)

    # sent again from a stale manifest: the peer holds those steps, they are repeats and change nothing
    again = resend_missing(eu.link, "CN", result.their_referrals)
    assert [(r.step, r.outcome) for r in again] == [("acknowledge", "queued"), ("feedback", "queued")]
    before = cn.node.referrals.events(rid)
    _deliver(cn, eu)
    assert cn.node.referrals.events(rid) == before
    assert _statuses(eu, STEP_KIND).count("received") == 4  # both repeats receipted as accepted
    assert reconcile(eu.link, "CN").ok


def test_a_warning_expired_in_transit_is_missing_at_the_peer_until_sent_again(pair: Any) -> None:
    cn, eu = pair
    rid: list[str] = []
    _expiring_in_transit(cn, lambda: rid.append(_sent(cn)))
    assert _statuses(cn, WARNING_KIND) == ["expired"]
    (difference,) = reconcile(cn.link, "EU").differences
    assert (difference.key, difference.problem) == (rid[0], "missing at the peer")

    resent = resend_missing(cn.link, "EU", reconcile(cn.link, "EU").their_referrals)
    assert [(r.step, r.outcome) for r in resent] == [("warning", "queued")]
    _deliver(cn, eu)
    assert cn.node.referrals.get(rid[0]).state == eu.node.referrals.get(rid[0]).state == "received"
    assert reconcile(cn.link, "EU").ok
    take_step(eu.node, EU_OFFICER, rid[0], "acknowledge")  # type: ignore[arg-type]
    _deliver(cn, eu)
    assert cn.node.referrals.get(rid[0]).state == "acknowledged" and reconcile(cn.link, "EU").ok


def test_a_step_sent_again_with_another_content_at_its_place_is_still_refused(pair: Any) -> None:
    """The repeat rule is narrow: the same seq with another step or time is not a repeat."""
    from sqlalchemy.orm import Session

    from iprisk.link.referrals import is_repeat

    cn, eu = pair
    rid = _sent(cn)
    _deliver(cn, eu)
    take_step(eu.node, EU_OFFICER, rid, "acknowledge")  # type: ignore[arg-type]
    _deliver(cn, eu)
    (ack,) = [e for e in cn.node.referrals.events(rid) if e.step == "acknowledge"]
    stamp = ack.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with Session(cn.node.engine) as session:
        assert is_repeat(session, rid, {"step": "acknowledge", "to": "acknowledged", "at": stamp, "seq": 0})
        assert not is_repeat(session, rid, {"step": "feedback", "to": "acknowledged", "at": stamp, "seq": 0})
        later = (ack.at + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ack_data = {"step": "acknowledge", "to": "acknowledged"}
        assert not is_repeat(session, rid, ack_data | {"at": later, "seq": 0})
        assert not is_repeat(session, rid, ack_data | {"at": stamp, "seq": 1})


def test_compare_names_each_referral_held_on_one_side_or_differing() -> None:
    from iprisk.link import compare

    def entry(rid: str, state: str, receiving: int = 0, history: str = "a" * 64) -> dict[str, Any]:
        return {"id": rid, "state": state, "sending": 0, "receiving": receiving, "history": history}

    empty = {"submissions": [], "profiles": []}
    ours = empty | {"node": "EU", "referrals": [entry("r1", "acknowledged", 1), entry("r2", "received")]}
    theirs = empty | {"node": "CN", "referrals": [entry("r1", "received"), entry("r3", "received")]}
    result = compare(ours, theirs)
    assert result.referrals == 3
    assert [(d.key, d.problem) for d in result.differences] == [
        ("r1", "state, steps or history differ"),
        ("r2", "missing at the peer"),
        ("r3", "missing here"),
    ]
    assert "acknowledged, 0 sending and 1 receiving steps" in str(result.differences[0])
    same_but_history = empty | {"node": "CN", "referrals": [entry("r2", "received", history="b" * 64)]}
    only_r2 = empty | {"node": "EU", "referrals": [entry("r2", "received")]}
    assert not compare(only_r2, same_but_history).ok and compare(only_r2, {**only_r2, "node": "CN"}).ok
