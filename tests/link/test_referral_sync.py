"""The two copies of a referral come back together: a step (or the warning) whose message expired in transit
shows in reconciliation, and sending it again closes the gap, applied once."""

from __future__ import annotations

import hashlib
import importlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from iprisk.formats.referrals import SeizureReport, read_seizure_report
from iprisk.link import LinkConfig, reconcile
from iprisk.link.queries import ask
from iprisk.link.referral_sync import referral_manifest, resend_missing
from iprisk.link.referrals import STEP_KIND, WARNING_KIND
from iprisk.node.referrals import draft_referral, take_step
from iprisk.referrals import kpis, referral_rows, report_seizure
from iprisk.store.channel import OutgoingRow
from tests.link.conftest import SEIZED, deliver
from tests.link.twonodes import Side
from tests.referrals.conftest import CN_OFFICER, EU_OFFICER, warning_data


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
    deliver(cn, eu)
    assert reconcile(eu.link, "CN").ok and reconcile(eu.link, "CN").referrals == 1

    _expiring_in_transit(eu, lambda: take_step(eu.node, EU_OFFICER, rid, "acknowledge", {"note": "scan"}))  # type: ignore[arg-type]
    assert _statuses(eu, STEP_KIND) == ["expired"]
    assert (eu.node.referrals.get(rid).state, cn.node.referrals.get(rid).state) == (
        "acknowledged",
        "received",
    )
    take_step(eu.node, EU_OFFICER, rid, "feedback", SEIZED)  # type: ignore[arg-type]
    deliver(cn, eu)  # the feedback (seq 1) waits at CN for the acknowledgement (seq 0) that never comes
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
    deliver(cn, eu)
    eu.node.clock.advance(timedelta(hours=6))  # the feedback's next retry, after its backoff
    deliver(cn, eu)
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
    deliver(cn, eu)
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
    deliver(cn, eu)
    assert cn.node.referrals.get(rid[0]).state == eu.node.referrals.get(rid[0]).state == "received"
    assert reconcile(cn.link, "EU").ok
    take_step(eu.node, EU_OFFICER, rid[0], "acknowledge")  # type: ignore[arg-type]
    deliver(cn, eu)
    assert cn.node.referrals.get(rid[0]).state == "acknowledged" and reconcile(cn.link, "EU").ok


def test_a_warning_with_attachments_expired_in_transit_is_sent_again_with_them(pair: Any) -> None:
    """The sending node keeps the contents it sent: the receiver checks them again against the warning's
    list (a warning re-sent without them would be refused, rule attachment_listed)."""
    cn, eu = pair
    pdf = b"%PDF-1.7\n" + b"1" * 300
    listed = {"name": "bl.pdf", "media_type": "application/pdf", "size": len(pdf),
              "sha256": hashlib.sha256(pdf).hexdigest()}  # fmt: skip
    rid = str(draft_referral(cn.node, CN_OFFICER, warning_data(attachments=[listed]))["id"])  # type: ignore[arg-type]
    _expiring_in_transit(cn, lambda: take_step(cn.node, CN_OFFICER, rid, "send", attachments={"bl.pdf": pdf}))  # type: ignore[arg-type]
    assert _statuses(cn, WARNING_KIND) == ["expired"]

    resent = resend_missing(cn.link, "EU", reconcile(cn.link, "EU").their_referrals)
    assert [(r.step, r.outcome) for r in resent] == [("warning", "queued")]
    deliver(cn, eu)
    assert _statuses(cn, WARNING_KIND) == ["expired", "received"]
    assert cn.node.referrals.get(rid).state == eu.node.referrals.get(rid).state == "received"
    assert reconcile(cn.link, "EU").ok


def _report(rid: str, case_id: str, articles: int) -> SeizureReport:
    return read_seizure_report(
        {"referral_id": rid, "case_id": case_id, "detention_date": "2026-03-02",
         "product_category": "clothing", "ipr_type": "trademark", "procedure": "ex_officio",
         "articles": articles}
    )  # fmt: skip


def test_an_earlier_seizure_report_expired_in_transit_is_sent_again_as_it_was(pair: Any) -> None:
    """The referral keeps the last report; the re-sent first one carries its own content, from its event."""
    cn, eu = pair
    rid = _sent(cn)
    deliver(cn, eu)
    take_step(eu.node, EU_OFFICER, rid, "feedback", SEIZED)  # type: ignore[arg-type]
    deliver(cn, eu)
    first, second = _report(rid, "NL-2026-0001", 2400), _report(rid, "NL-2026-0001", 2350)
    now = eu.node.clock.now()
    report = eu.node.referrals.step  # the step as the node's routes take it: its message is queued with it
    _expiring_in_transit(eu, lambda: report(rid, lambda r: report_seizure(r, EU_OFFICER, first, now)))
    report(rid, lambda r: report_seizure(r, EU_OFFICER, second, eu.node.clock.now()))
    deliver(cn, eu)  # the second waits at CN for the first
    assert [e.step for e in cn.node.referrals.events(rid)].count("seizure_report") == 0

    resent = resend_missing(eu.link, "CN", reconcile(eu.link, "CN").their_referrals)
    assert [(r.step, r.seq, r.outcome) for r in resent] == [("seizure_report", 1, "queued"),
                                                            ("seizure_report", 2, "in flight")]  # fmt: skip
    deliver(cn, eu)
    eu.node.clock.advance(timedelta(hours=6))  # the second's next retry, after its backoff
    deliver(cn, eu)
    reports = [
        e.details["seizure_report"] for e in cn.node.referrals.events(rid) if e.step == "seizure_report"
    ]
    assert [r["articles"] for r in reports] == [2400, 2350]
    assert cn.node.referrals.get(rid).seizure_report == second and reconcile(cn.link, "EU").ok


def test_a_feedback_and_an_expiry_that_cross_end_the_same_on_both_nodes(pair: Any) -> None:
    """CN's clock expires the referral the moment Rotterdam gives feedback: each node takes the other's step,
    the feedback stands at both (the expiry stays in both histories), reconcile is clean."""
    from iprisk.link.referrals import tick_referrals

    cn, eu = pair
    rid = _sent(cn)
    deliver(cn, eu)
    cn.node.clock.advance(timedelta(days=120))  # past the expiry and the feedback escalation
    take_step(eu.node, EU_OFFICER, rid, "feedback", SEIZED)  # type: ignore[arg-type]
    assert tick_referrals(cn.link)[-1] == (rid, "expired")
    assert (cn.node.referrals.get(rid).state, eu.node.referrals.get(rid).state) == (
        "expired",
        "feedback_given",
    )

    deliver(cn, eu)
    at_cn, at_eu = cn.node.referrals.get(rid), eu.node.referrals.get(rid)
    assert at_cn.state == at_eu.state == "feedback_given" and at_cn.feedback == at_eu.feedback
    for side in (cn, eu):
        assert [e.step for e in side.node.referrals.events(rid)].count("expire") == 1
    assert reconcile(cn.link, "EU").ok and reconcile(eu.link, "CN").ok
    assert _kpis(cn) == _kpis(eu)


def test_the_peer_referral_manifest_comes_in_pages(pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reconciling = importlib.import_module("iprisk.link.reconcile")  # the package's name is the function's
    cn, eu = pair
    rids = sorted(_sent(cn) for _ in range(5))
    deliver(cn, eu)
    monkeypatch.setattr(reconciling, "REFERRAL_PAGE", 2)
    pages: list[int] = []

    def counting(*args: Any) -> Any:
        answer = ask(*args)
        pages.append(len(answer.get("referrals", [])) if args[2] == reconciling.REFERRAL_MANIFEST else -1)
        return answer

    monkeypatch.setattr(reconciling, "ask", counting)
    result = reconcile(eu.link, "CN")
    assert pages == [-1, 2, 2, 1]  # the manifest, then the referrals two by two
    assert sorted(e["id"] for e in result.their_referrals) == rids and result.ok and result.referrals == 5


def test_a_step_sent_again_with_another_content_at_its_place_is_still_refused(pair: Any) -> None:
    """The repeat rule is narrow: the same seq with another step or time is not a repeat."""
    from sqlalchemy.orm import Session

    from iprisk.link.referrals import is_repeat

    cn, eu = pair
    rid = _sent(cn)
    deliver(cn, eu)
    take_step(eu.node, EU_OFFICER, rid, "acknowledge")  # type: ignore[arg-type]
    deliver(cn, eu)
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
