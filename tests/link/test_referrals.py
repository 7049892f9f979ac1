"""KA2 referrals between two nodes: a warning from a CN export port reaches the EU arrival port's node, is
acknowledged and fed back there, and both stores agree on every referral's state, history and KPIs."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import event, select

from iprisk.errors import InvalidInput
from iprisk.link.referrals import STEP_KIND, WARNING_KIND, sync_referral_receipts
from iprisk.node.referrals import draft_referral, take_step
from iprisk.referrals import NotPermitted, Referral, kpis, referral_rows, watch_matches
from iprisk.referrals.permissions import Officer
from iprisk.store.channel import IncomingRow, OutgoingRow
from tests.link.conftest import SEIZED, deliver
from tests.link.twonodes import Side
from tests.referrals.conftest import (
    CN_OFFICER,
    EU_OFFICER,
    EU_OTHER_PORT,
    MONDAY,
    warning_data,
)

PDF = b"%PDF-1.7\n" + b"0" * 200


def _outgoing(side: Side) -> list[tuple[str, str]]:
    with side.node.engine.connect() as connection:
        rows = connection.execute(select(OutgoingRow.kind, OutgoingRow.status).order_by(OutgoingRow.created))
        return [(kind, status) for kind, status in rows if kind.startswith("referral")]


def _history(side: Side, referral_id: str) -> list[tuple[Any, ...]]:
    """The steps from the receipt on, as both nodes record them."""
    events = side.node.referrals.events(referral_id)
    start = next(i for i, e in enumerate(events) if e.step == "receive")
    return [(e.step, e.from_state, e.to_state, e.at, e.by.split("@")[0]) for e in events[start:]]


def _sent_from_shanghai(cn: Side, **changes: Any) -> str:
    ref = draft_referral(cn.node, CN_OFFICER, warning_data(**changes))  # type: ignore[arg-type]
    take_step(cn.node, CN_OFFICER, ref["id"], "send")  # type: ignore[arg-type]
    return str(ref["id"])


def test_a_warning_from_shanghai_to_rotterdam_through_its_whole_lifecycle_on_both_nodes(pair: Any) -> None:
    cn, eu = pair
    clock = cn.node.clock
    rid = _sent_from_shanghai(cn)
    assert cn.node.referrals.get(rid).state == "sent"
    assert _outgoing(cn) == [(WARNING_KIND, "queued")]  # queued with the step, in its transaction

    deliver(cn, eu)
    assert eu.node.referrals.get(rid).state == "received"  # at the receiving port's inbox
    assert cn.node.referrals.get(rid).state == "received"  # the receipt moved the original
    assert cn.node.referrals.get(rid).received_at == eu.node.referrals.get(rid).received_at

    # the warning is a watch at Rotterdam: the incoming declaration with its B/L is flagged
    declarations = pa.Table.from_pylist(
        [{"transport_document": "MAEU123456789", "container": None, "arrival_port": "NLRTM",
          "departure_port": "CNSHA", "hs_code": "640399", "date": date(2026, 3, 30)},
         {"transport_document": "OTHER1", "container": None, "arrival_port": "DEHAM",
          "departure_port": "CNNGB", "hs_code": "850440", "date": date(2026, 3, 30)}]
    )  # fmt: skip
    watches = eu.node.referrals.watches("EU")  # what iprisk targeting score --referrals-db reads at a node
    assert watch_matches(declarations, watches) == [[(rid, "transport_document")], []]
    assert cn.node.referrals.watches("CN") == []  # the sending node does not watch what it sent

    with pytest.raises(NotPermitted, match="DEHAM"):  # the officer of another port
        take_step(eu.node, EU_OTHER_PORT, rid, "acknowledge")  # type: ignore[arg-type]
    with pytest.raises(NotPermitted, match="taken at the EU node"):  # CN cannot acknowledge for Rotterdam
        take_step(cn.node, Officer("eu.coord", "coordinator", "EU"), rid, "acknowledge")  # type: ignore[arg-type]
    clock.advance(timedelta(hours=2))
    take_step(eu.node, EU_OFFICER, rid, "acknowledge", {"note": "scan on arrival"})  # type: ignore[arg-type]
    deliver(cn, eu)
    assert cn.node.referrals.get(rid).state == "acknowledged"
    clock.advance(timedelta(days=30))
    take_step(eu.node, EU_OFFICER, rid, "feedback", SEIZED)  # type: ignore[arg-type]
    deliver(cn, eu)
    at_cn = cn.node.referrals.get(rid)
    assert at_cn.state == "feedback_given" and at_cn.current_feedback.result == "seized"
    assert at_cn.acknowledged_at == MONDAY + timedelta(hours=2)

    take_step(cn.node, CN_OFFICER, rid, "close")  # type: ignore[arg-type]
    deliver(cn, eu)
    assert cn.node.referrals.get(rid).state == eu.node.referrals.get(rid).state == "closed"
    assert _history(cn, rid) == _history(eu, rid)
    assert [h[0] for h in _history(eu, rid)] == ["receive", "acknowledge", "feedback", "close"]
    assert [e.by for e in eu.node.referrals.events(rid) if e.step == "close"] == ["li.wei@CN"]

    now = clock.now()
    tables = [kpis(referral_rows(s.node.referrals.referrals()), now=now) for s in (cn, eu)]
    assert tables[0].to_pylist() == tables[1].to_pylist()
    row = tables[0].to_pylist()[0]
    assert (row["sending_port"], row["receiving_port"], row["sent"], row["seized"]) == (
        "CNSHA",
        "NLRTM",
        1,
        1,
    )
    # every message applied once: a second round of delivery changes nothing
    deliver(cn, eu)
    assert _history(cn, rid) == _history(eu, rid)
    assert [s for _, s in _outgoing(cn)] == ["received"] * 2 and [s for _, s in _outgoing(eu)] == [
        "received"
    ] * 2


def test_steps_that_arrive_out_of_order_wait_for_those_before(pair: Any) -> None:
    cn, eu = pair
    rid = _sent_from_shanghai(cn)
    deliver(cn, eu)
    take_step(eu.node, EU_OFFICER, rid, "acknowledge")  # type: ignore[arg-type]
    take_step(eu.node, EU_OFFICER, rid, "feedback", SEIZED)  # type: ignore[arg-type]
    amended = SEIZED | {"articles_detained": 2000}
    take_step(eu.node, EU_OFFICER, rid, "feedback", amended)  # type: ignore[arg-type]
    with eu.node.engine.begin() as connection:  # the acknowledgement's message is delayed
        first = (
            connection.execute(
                select(OutgoingRow.id).where(OutgoingRow.kind == STEP_KIND).order_by(OutgoingRow.created)
            )
            .scalars()
            .first()
        )
        connection.execute(
            OutgoingRow.__table__.update()  # type: ignore[attr-defined]
            .where(OutgoingRow.id == first)
            .values(next_attempt=MONDAY + timedelta(days=1))
        )
    eu.link.deliver()  # the two feedbacks go first: they wait
    assert cn.node.referrals.get(rid).state == "received"
    eu.node.clock.advance(timedelta(days=2))
    for _ in range(3):
        eu.link.deliver()
        eu.node.clock.advance(timedelta(minutes=15))
    ref = cn.node.referrals.get(rid)
    assert ref.state == "feedback_given" and [f.articles_detained for f in ref.feedback] == [2400, 2000]
    assert _history(cn, rid) == _history(eu, rid)


def _nothing_queued(cn: Side) -> None:
    assert _outgoing(cn) == []


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"receiving_port": "CNNGB", "arrival_port": "CNNGB"}, "port_side"),  # a port of the sender's side
        ({"receiving_port": "NLXXX", "arrival_port": "NLXXX"}, "network_port"),  # not in the network
        ({"expiry": "2026-03-01", "expected_arrival": "2026-02-27"}, "expired"),
    ],
)
def test_a_bad_warning_is_refused_with_its_rule_nothing_stored_nothing_queued(
    pair: Any, changes: dict[str, Any], rule: str
) -> None:
    cn, _eu = pair
    with pytest.raises(InvalidInput) as refused:
        draft_referral(cn.node, CN_OFFICER, warning_data(**changes))  # type: ignore[arg-type]
    assert rule in {p.rule for p in refused.value.problems}
    assert cn.node.referrals.referrals() == []
    _nothing_queued(cn)


def _with_attachment(cn: Side, name: str, listed: bytes, media_type: str = "application/pdf") -> str:
    ref = {
        "name": name,
        "media_type": media_type,
        "size": len(listed),
        "sha256": hashlib.sha256(listed).hexdigest(),
    }
    data = warning_data(attachments=[ref])
    return str(draft_referral(cn.node, CN_OFFICER, data)["id"])  # type: ignore[arg-type]


def test_an_attachment_whose_content_is_not_its_type_is_refused_at_sending(pair: Any) -> None:
    cn, _eu = pair
    rid = _with_attachment(cn, "photo.jpg", PDF, "image/jpeg")  # a PDF named and listed as a JPEG photo
    with pytest.raises(InvalidInput) as refused:
        take_step(cn.node, CN_OFFICER, rid, "send", attachments={"photo.jpg": PDF})  # type: ignore[arg-type]
    assert {p.rule for p in refused.value.problems} == {"attachment_type"}
    assert "photo.jpg" in str(refused.value)
    _nothing_queued(cn)


@pytest.mark.parametrize(
    ("sent", "rule"),
    [
        ({"invoice.pdf": b"MZ" + PDF}, "attachment_type"),  # not a PDF at all (an executable)
        ({"invoice.pdf": PDF + b"1"}, "attachment_listed"),  # another content than the one listed
        ({}, "attachment_listed"),  # the content is missing
        ({"invoice.pdf": PDF, "extra.pdf": PDF}, "attachment_listed"),  # one the warning does not list
    ],
)
def test_a_mistyped_or_unlisted_attachment_is_refused_at_sending_nothing_queued(
    pair: Any, sent: dict[str, bytes], rule: str
) -> None:
    cn, _eu = pair
    rid = _with_attachment(cn, "invoice.pdf", PDF)
    with pytest.raises(InvalidInput) as refused:
        take_step(cn.node, CN_OFFICER, rid, "send", attachments=sent)  # type: ignore[arg-type]
    assert rule in {p.rule for p in refused.value.problems}
    assert cn.node.referrals.get(rid).state == "drafted"  # the step rolled back with the message
    _nothing_queued(cn)


def test_an_oversized_attachment_is_refused_at_sending(pair: Any) -> None:
    cn, _eu = pair
    cn.node.settings = cn.node.settings.model_copy(update={"referral_attachment_max_bytes": 100})
    rid = _with_attachment(cn, "invoice.pdf", PDF)
    with pytest.raises(InvalidInput) as refused:
        take_step(cn.node, CN_OFFICER, rid, "send", attachments={"invoice.pdf": PDF})  # type: ignore[arg-type]
    assert {p.rule for p in refused.value.problems} == {"attachment_size"}
    _nothing_queued(cn)


def test_attachments_travel_encrypted_and_are_checked_again_at_the_receiver(pair: Any) -> None:
    cn, eu = pair
    rid = _with_attachment(cn, "invoice.pdf", PDF)
    take_step(cn.node, CN_OFFICER, rid, "send", attachments={"invoice.pdf": PDF})  # type: ignore[arg-type]
    eu.node.settings = eu.node.settings.model_copy(update={"referral_attachment_max_bytes": 100})
    deliver(cn, eu)  # Rotterdam takes 100 bytes at most: refused for good, the original back to drafted
    assert eu.node.referrals.referrals() == []
    ref = cn.node.referrals.get(rid)
    assert ref.state == "drafted"
    refusal = cn.node.referrals.events(rid)[-1]
    assert refusal.step == "refuse" and "attachment_size" in refusal.details["reason"]

    eu.node.settings = eu.node.settings.model_copy(update={"referral_attachment_max_bytes": 10**6})
    take_step(cn.node, CN_OFFICER, rid, "send", attachments={"invoice.pdf": PDF})  # type: ignore[arg-type]
    deliver(cn, eu)  # corrected at the receiver, sent again: a new message
    assert cn.node.referrals.get(rid).state == eu.node.referrals.get(rid).state == "received"
    with eu.node.engine.connect() as connection:
        kinds = connection.execute(select(IncomingRow.kind, IncomingRow.outcome)).all()
    assert sorted(kinds) == [(WARNING_KIND, "accepted"), (WARNING_KIND, "refused")]


def test_a_referral_expired_on_the_way_is_refused_by_the_receiver(pair: Any) -> None:
    cn, eu = pair
    rid = _sent_from_shanghai(cn, expiry="2026-03-02", expected_arrival="2026-03-02")
    cn.node.clock.advance(timedelta(days=1))  # it arrives the day after its expiry
    deliver(cn, eu)
    assert eu.node.referrals.referrals() == []
    assert "expired" in cn.node.referrals.events(rid)[-1].details["reason"]


def test_the_clock_runs_at_the_sending_node_and_its_alerts_travel(pair: Any) -> None:
    from iprisk.link.referrals import tick_referrals

    cn, eu = pair
    rid = _sent_from_shanghai(cn)
    deliver(cn, eu)
    for side in (cn, eu):
        side.node.clock.advance(timedelta(days=3))
    assert tick_referrals(eu.link) == []  # the receiving node does not tick a referral it received
    raised = tick_referrals(cn.link)
    assert [(r, code) for r, code in raised] == [(rid, "ack_reminder"), (rid, "ack_escalation")]
    deliver(cn, eu)
    assert eu.node.referrals.get(rid).alerts == ("ack_reminder", "ack_escalation")
    assert _history(cn, rid) == _history(eu, rid)


def test_a_tampered_or_replayed_referral_message_is_refused_and_never_applied(pair: Any) -> None:
    cn, eu = pair
    rid = _sent_from_shanghai(cn)
    with cn.node.engine.connect() as connection:
        wire = connection.execute(
            select(OutgoingRow.wire).where(OutgoingRow.kind == WARNING_KIND)
        ).scalar_one()
    flipped = wire[:-10] + ("A" if wire[-10] != "A" else "B") + wire[-9:]
    with pytest.raises(Exception, match=r"(?i)decrypt|malformed|signature"):
        eu.link.receive(flipped)
    assert eu.node.referrals.referrals() == []
    first = eu.link.receive(wire)
    assert eu.link.receive(wire) == first  # a replay: the same receipt, applied once
    assert [e.step for e in eu.node.referrals.events(rid)] == ["receive"]


def test_receipts_are_synchronised_once(pair: Any) -> None:
    cn, _eu = pair
    rid = _sent_from_shanghai(cn)
    cn.link.deliver()
    assert sync_referral_receipts(cn.link) == [rid]
    assert sync_referral_receipts(cn.link) == []
    assert isinstance(cn.node.referrals.get(rid), Referral)
    assert [e.step for e in cn.node.referrals.events(rid)] == ["draft", "send", "receive"]


def test_through_the_api_attachments_come_base64_in_the_body_of_send(pair: Any) -> None:
    import base64

    cn, eu = pair
    rid = _with_attachment(cn, "invoice.pdf", PDF)
    with pytest.raises(InvalidInput, match="base64"):
        take_step(cn.node, CN_OFFICER, rid, "send", {"attachments": {"invoice.pdf": "%%%"}})  # type: ignore[arg-type]
    body = {"attachments": {"invoice.pdf": base64.b64encode(PDF).decode()}}
    assert take_step(cn.node, CN_OFFICER, rid, "send", body)["state"] == "sent"  # type: ignore[arg-type]
    deliver(cn, eu)
    assert eu.node.referrals.get(rid).warning.attachments[0].name == "invoice.pdf"


#: the tables that grow with the referrals and their messages: a step must find its rows in them by an index
_GROWING = ("referrals", "referral_events", "referral_attachments", "channel_outgoing", "channel_incoming")


def _statements(side: Side, seen: list[tuple[Any, str, Any]]) -> None:
    @event.listens_for(side.node.engine, "before_cursor_execute")
    def _seen(connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            seen.append((side, statement, parameters))


def test_no_step_of_a_referral_scans_a_table_that_grows_with_the_referrals(pair: Any) -> None:
    """What keeps the cost of a step flat at 100,000 referrals: every statement the whole lifecycle runs at
    both nodes (steps, hook, messages, receipts) reads the growing tables through an index (SQLite's plan)."""
    cn, eu = pair
    seen: list[tuple[Any, str, Any]] = []
    for side in (cn, eu):
        _statements(side, seen)
    rid = _sent_from_shanghai(cn)
    deliver(cn, eu)
    take_step(eu.node, EU_OFFICER, rid, "acknowledge")  # type: ignore[arg-type]
    take_step(eu.node, EU_OFFICER, rid, "feedback", SEIZED)  # type: ignore[arg-type]
    deliver(cn, eu)
    take_step(cn.node, CN_OFFICER, rid, "close")  # type: ignore[arg-type]
    deliver(cn, eu)
    assert cn.node.referrals.get(rid).state == eu.node.referrals.get(rid).state == "closed"
    scans = set()
    for side, statement, parameters in seen:
        with side.node.engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        scans |= {
            (detail, " ".join(statement.split())[:200])
            for *_, detail in plan
            if detail.startswith("SCAN") and detail.split()[1] in _GROWING
        }
    assert len(seen) > 50
    assert not scans, scans
