"""KA2 referrals between the nodes: the warning goes to the receiving port's node, the acknowledgement and the
feedback come back, and both nodes' stores agree on every referral's state and history.

**Who takes which step where.** A referral has two ends, the sending port (its side's node holds the
original) and the receiving port (the other node holds a copy). ``send``, ``close`` and the clock's steps
(``remind``, ``escalate``, ``expire``) are taken at the sending node; ``acknowledge``, ``feedback`` (and its
amendments) and ``seizure_report`` at the receiving node. Each is one message to the other node, queued by
the referral store's ``on_change`` hook *in the transaction of the step* (the referrals and the outbox share
the operational database): the step and its message commit together, or neither does. A step taken at the
wrong node (an officer of the other side acting here) is refused before anything is written.

**Messages.** ``referral.warning``: the warning as sent (``docs/formats.md``), when and by whom, and the
contents of its attachments (base64, encrypted with the message like everything it carries).
``referral.step``: the referral id, the step, the states before and after, who and when, ``seq`` (how many
steps of its end the referral had before this one), the step's document (the acknowledgement's note, the
feedback, the seizure report) and, from the receiving end, when the warning was received there.

**Receiver.** The warning is checked again with the sender's rules (:func:`iprisk.referrals.check_warning`
against this node's network and date, the attachments against what the warning lists) and stored as
``received`` in the inbox's unit of work; from then on it is a watch of the receiving port
(``iprisk targeting score --referrals-db``). A step is taken under the sender's name (``li@CN``) with the
lifecycle's own checks; one that arrives before the steps of its end that precede it waits (retried); a step
the lifecycle refuses (e.g. out of order) is refused for good with a signed "refused" receipt, like an
invalid warning. The channel's inbox applies each message once; a warning stored already with the same
content changes nothing.

**Receipts.** The receiving node's receipt of the warning moves the original to ``received`` at the time the
receipt gives (:func:`sync_referral_receipts`, a source of the delivery worker, so on its next pass); a
refused receipt takes it back to ``drafted`` with the reason, to be corrected and sent again.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from iprisk.errors import InvalidInput, NotFound, Problem
from iprisk.exchange import Opened
from iprisk.exchange._encoding import b64url_decode, canonical_json, compact_segments, iso, parse_iso
from iprisk.formats.referrals import read_feedback, read_seizure_report, read_warning, to_json
from iprisk.link.errors import NotYet
from iprisk.link.kinds import Kind, register, register_source
from iprisk.referrals.attachments import content_problems
from iprisk.referrals.checks import warning_problems
from iprisk.referrals.errors import NotPermitted, StepOutOfOrder
from iprisk.referrals.lifecycle import (
    FEEDBACK_GIVEN,
    SENT,
    Deadlines,
    Event,
    Referral,
    acknowledge,
    clock_step_received,
    close,
    give_feedback,
    incoming,
    receive,
    refused,
    report_seizure,
)
from iprisk.referrals.network import side_of
from iprisk.referrals.permissions import COORDINATOR, Officer
from iprisk.store.channel import OutgoingRow, SqlChannelTransaction
from iprisk.store.db import unit_of_work, utc
from iprisk.store.referrals import ChangeHook, ReferralEventRow, ReferralRow, ReferralStore

if TYPE_CHECKING:
    from iprisk.link.context import Link

WARNING_KIND = "referral.warning"
STEP_KIND = "referral.step"
#: steps taken at the receiving port's node, and those taken at the sending port's node (the other steps,
#: ``draft``, ``receive`` and ``refuse``, stay where they are taken)
RECEIVING_STEPS = frozenset({"acknowledge", "feedback", "seizure_report"})
SENDING_STEPS = frozenset({"send", "close", "remind", "escalate", "expire"})
#: the steps of each end after the warning, counted in order (``seq``) at both nodes
_AFTER_SENDING = SENDING_STEPS - {"send"}
#: set while a step received from the peer is taken here: it is not sent back
_replaying: ContextVar[bool] = ContextVar("iprisk_referral_replaying", default=False)
#: the contents of the attachments of the warning being sent (name -> bytes)
_contents: ContextVar[Mapping[str, bytes] | None] = ContextVar("iprisk_referral_contents", default=None)


@contextmanager
def sending_attachments(contents: Mapping[str, bytes]) -> Iterator[None]:
    """The attachments' contents travel with the warning sent inside this block."""
    token = _contents.set(dict(contents))
    try:
        yield
    finally:
        _contents.reset(token)


def referral_store(link: Link) -> ReferralStore:
    """The node's referral store (``node.referrals``), or one on its database and audit log."""
    store = getattr(link.node, "referrals", None)
    return store if store is not None else ReferralStore(link.node.engine, audit=link.node.audit)


def _ends(ref: Referral) -> tuple[str, str]:
    return side_of(ref.warning.sending_port), side_of(ref.warning.receiving_port)


def _origin(ref: Referral, step: str) -> str:
    """The node (side) where ``step`` is taken on ``ref``."""
    sending, receiving = _ends(ref)
    return receiving if step in RECEIVING_STEPS else sending


def _family(step: str) -> frozenset[str]:
    return RECEIVING_STEPS if step in RECEIVING_STEPS else _AFTER_SENDING


def family_name(step: str) -> str | None:
    """The end whose steps ``step`` is counted with: ``receiving`` or ``sending`` (None: not counted)."""
    if step in RECEIVING_STEPS:
        return "receiving"
    return "sending" if step in _AFTER_SENDING else None


def step_key(referral_id: str, end: str, seq: int) -> str:
    """The outbox key of the message of the ``seq``-th step of ``end`` (its re-sendings add ``/resendN``)."""
    return f"{STEP_KIND}/{referral_id}/{end}/{seq}"


#: built once with bound parameters: SQLAlchemy reuses its compiled form (building it per call cost more than
#: the query)
_STEPS_HERE = (
    select(func.count())
    .select_from(ReferralEventRow)
    .where(
        ReferralEventRow.referral_id == bindparam("referral_id"),
        ReferralEventRow.step.in_(bindparam("steps", expanding=True)),
    )
)


def _steps_here(session: Session, referral_id: str, family: frozenset[str]) -> int:
    count = session.scalar(_STEPS_HERE, {"referral_id": referral_id, "steps": sorted(family)})
    return int(count or 0)


def warning_key(referral_id: str, sends: int) -> str:
    """The outbox key of the ``sends``-th sending of a warning (a warning refused and sent again is new)."""
    return f"{WARNING_KIND}/{referral_id}/{sends}"


def warning_payload(ref: Referral, event: Event, contents: Mapping[str, bytes]) -> bytes:
    return canonical_json(
        {
            "warning": to_json(ref.warning),
            "sent_at": iso(event.at),
            "by": event.by,
            "attachments": {name: base64.b64encode(data).decode("ascii") for name, data in contents.items()},
        }
    )


def step_payload(ref: Referral, event: Event, seq: int) -> bytes:
    data: dict[str, Any] = {
        "referral_id": ref.id,
        "step": event.step,
        "from": event.from_state,
        "to": event.to_state,
        "by": event.by,
        "at": iso(event.at),
        "seq": seq,
        "details": {k: v for k, v in event.details.items() if k in ("alert", "note")},
    }
    if event.step in RECEIVING_STEPS and ref.received_at is not None:
        data["received_at"] = iso(ref.received_at)
    if event.step == "feedback" and ref.current_feedback is not None:
        data["feedback"] = to_json(ref.current_feedback)
    if event.step == "seizure_report" and ref.seizure_report is not None:
        data["seizure_report"] = to_json(ref.seizure_report)
    return canonical_json(data)


def referral_hook(link: Link) -> ChangeHook:
    """The referral store's ``on_change`` at a node: queue each step that travels to the other node."""

    def on_change(session: Session, ref: Referral, events: list[Event]) -> None:
        if _replaying.get():
            return
        tx = SqlChannelTransaction.joining(session)
        travelling = [e for e in events if e.step in RECEIVING_STEPS | SENDING_STEPS]
        for event in travelling:
            origin = _origin(ref, event.step)
            if origin != link.name:
                reason = f"this step is taken at the {origin} node; this is the {link.name} node"
                raise NotPermitted(event.by, event.step, ref.id, reason)
        sending, receiving = _ends(ref)
        peer = receiving if sending == link.name else sending
        if not travelling or (travelling[0].step != "send" and not link.pinned(tx, peer)):
            return  # a referral that did not come over the channel (no peer) stays here
        before = {  # only the ends whose steps travel now (a sending has no seq)
            family: _steps_here(session, ref.id, family) - sum(e.step in family for e in travelling)
            for family in {_family(e.step) for e in travelling if e.step != "send"}
        }
        for event in travelling:
            if event.step == "send":
                _send_warning(link, tx, ref, event, peer)
                continue
            family, seq = _family(event.step), before[_family(event.step)]
            key = step_key(ref.id, str(family_name(event.step)), seq)
            link.send(tx, STEP_KIND, peer, step_payload(ref, event, seq), key=key)
            before[family] += 1

    return on_change


def _send_warning(link: Link, tx: SqlChannelTransaction, ref: Referral, event: Event, peer: str) -> None:
    contents = _contents.get() or {}
    max_bytes = link.node.settings.referral_attachment_max_bytes
    problems = content_problems(ref.warning, contents, max_bytes=max_bytes)
    if problems:
        raise InvalidInput(problems, source=f"referral {ref.id}")
    sends = _steps_here(tx.session, ref.id, frozenset({"send"}))
    key = warning_key(ref.id, sends)
    link.send(tx, WARNING_KIND, peer, warning_payload(ref, event, contents), key=key)
    referral_store(link).record_sending(ref.id, key, contents, session=tx.session)


def attach_referrals(link: Link) -> None:
    """Make the node's referral steps travel (called when the node's link is made)."""
    store: ReferralStore | None = getattr(link.node, "referrals", None)
    if store is not None:
        store.on_change = referral_hook(link)


def tick_referrals(link: Link, at: datetime | None = None) -> list[tuple[str, str]]:
    """The clock at a node: alerts and expiries of the referrals sent from here (they travel to the other
    node; a referral received here follows the clock of the node that sent it)."""
    deadlines = Deadlines.from_settings(link.node.settings)
    return referral_store(link).tick(at or link.clock.now(), deadlines, side=link.name)


def attach_to_referrals(store: ReferralStore) -> Link | None:
    """When this process is a node and ``store`` is its database, make the referral steps taken through
    ``store`` travel to the other node and be audited (``iprisk referrals send`` at a node queues the warning
    in the same transaction); the node's link, else ``None`` (the store is left as it is)."""
    from iprisk.link.service import attach_to_profiles
    from iprisk.store import ProfileStore

    link = attach_to_profiles(ProfileStore(store.engine))
    if link is not None:
        link.node.referrals = store  # type: ignore[attr-defined]  # a Node: it has referrals
        store.audit = link.node.audit
        attach_referrals(link)
    return link


# -- the receiving node ------------------------------------------------------------------------------------
def _source(opened: Opened) -> str:
    return f"{opened.message.sender} message {opened.message.id}"


def _payload(opened: Opened) -> dict[str, Any]:
    try:
        data = json.loads(opened.message.payload)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
    except (ValueError, TypeError) as exc:
        problem = Problem("type", f"unreadable referral message: {exc}"[:300])
        raise InvalidInput([problem], source=_source(opened)) from None
    return data


def _decode_contents(raw: Any, source: str) -> dict[str, bytes]:
    if not isinstance(raw, dict):
        raise InvalidInput(
            [Problem("type", "attachments: a JSON object of base64 contents expected")], source=source
        )
    try:
        return {str(name): base64.b64decode(text, validate=True) for name, text in raw.items()}
    except (binascii.Error, TypeError, ValueError) as exc:
        problem = Problem("type", f"attachments: not base64: {exc}", column="attachments")
        raise InvalidInput([problem], source=source) from None


def _receive_warning(link: Link, tx: Any, opened: Opened) -> None:
    data, source, sender = _payload(opened), _source(opened), opened.message.sender
    warning = read_warning(data.get("warning"), source=source)
    contents = _decode_contents(data.get("attachments", {}), source)
    store, session, now = referral_store(link), tx.session, link.clock.now()
    problems = warning_problems(warning, store.network(session=session), sender_side=sender, today=now.date())
    if side_of(warning.receiving_port) != link.name:
        message = f"the receiving port is not a port of this node ({link.name})"
        problems.append(Problem("port_side", message, None, "receiving_port", warning.receiving_port))
    max_bytes = link.node.settings.referral_attachment_max_bytes
    problems += content_problems(warning, contents, max_bytes=max_bytes)
    if problems:
        raise InvalidInput(problems, source=source)
    existing = store.find(str(warning.id), session=session)
    if existing is not None:
        if to_json(existing.warning) != to_json(warning):
            raise StepOutOfOrder(
                str(warning.id), existing.state, "receive", "another warning has this id here"
            )
        return
    sent_at = parse_iso(str(data.get("sent_at")), "sent_at")
    token = _replaying.set(True)
    try:
        store.add(*incoming(warning, sent_at, now), session=session)
    finally:
        _replaying.reset(token)
    details = {"from": warning.sending_port, "to": warning.receiving_port, "peer": sender}
    link.observe(tx, "referral.received", str(warning.id), details)


def is_repeat(session: Session, referral_id: str, data: Mapping[str, Any]) -> bool:
    """Whether the step message ``data`` is one this node applied already: the step at its ``seq`` in its
    end's history here is the same step at the same time (its state may differ: an expiry that crossed the
    feedback leaves the referral with its feedback here)."""
    family = _family(str(data["step"]))
    held = session.execute(
        select(ReferralEventRow.step, ReferralEventRow.at)
        .where(ReferralEventRow.referral_id == referral_id, ReferralEventRow.step.in_(sorted(family)))
        .order_by(ReferralEventRow.event_id)
        .offset(int(data["seq"]))
        .limit(1)
    ).first()
    if held is None:
        return False
    step, at = held
    return (step, iso(utc(at))) == (data["step"], data["at"])


def _maker(data: dict[str, Any], actor: Officer, at: datetime, source: str) -> Callable[[Referral], Any]:
    step, details = data["step"], data.get("details") or {}
    if step == "acknowledge":
        return lambda r: acknowledge(r, actor, at, details.get("note"))
    if step == "feedback":
        feedback = read_feedback(data.get("feedback"), source=source)
        return lambda r: give_feedback(r, actor, feedback)
    if step == "seizure_report":
        report = read_seizure_report(data.get("seizure_report"), source=source)
        return lambda r: report_seizure(r, actor, report, at)
    if step == "close":
        return lambda r: close(r, actor, at)
    if step in ("remind", "escalate", "expire"):
        alert = None if step == "expire" else str(details.get("alert"))
        return lambda r: clock_step_received(r, step, at, actor.name, alert)
    raise InvalidInput(
        [Problem("code", "not a step that travels", column="step", value=str(step))], source=source
    )


def _receive_step(link: Link, tx: Any, opened: Opened) -> None:
    data, source, sender = _payload(opened), _source(opened), opened.message.sender
    missing = [k for k in ("referral_id", "step", "to", "by", "at", "seq") if k not in data]
    if missing:
        problems = [Problem("required", "missing from the referral step", column=k) for k in missing]
        raise InvalidInput(problems, source=source)
    store, session, step = referral_store(link), tx.session, str(data["step"])
    referral_id, seq = str(data["referral_id"]), int(data["seq"])
    repeat, before = False, [""]

    def make(ref: Referral) -> tuple[Referral, list[Event]]:
        """Checked on the row the step reads (one read): the step is the sender's to take, and its turn."""
        nonlocal repeat
        if step not in RECEIVING_STEPS | SENDING_STEPS or _origin(ref, step) != sender:
            reason = f"{sender} does not take the step {step} on a referral from {ref.warning.sending_port}"
            raise StepOutOfOrder(ref.id, ref.state, step, reason)
        done = _steps_here(session, ref.id, _family(step))
        if done < seq:
            raise NotYet(f"referral {ref.id}: earlier steps have not arrived yet")
        if done > seq and is_repeat(session, ref.id, data):
            repeat = True
            return ref, []  # sent again (reconciliation) after the first arrived: applied once
        if done > seq:
            raise StepOutOfOrder(
                ref.id, ref.state, step, "a different step with this place in its history is here"
            )
        at = parse_iso(str(data["at"]), "at")
        actor = Officer(f"{data['by']}@{sender}", COORDINATOR, sender, frozenset())
        step_maker, events, before[0] = _maker(data, actor, at, source), [], ref.state
        if ref.state == SENT and "received_at" in data:  # no receipt recorded yet: the peer says when
            ref, received = receive(ref, parse_iso(str(data["received_at"]), "received_at"))
            events.append(received)
        new, made = step_maker(ref)
        return new, [*events, made]

    token = _replaying.set(True)
    try:
        new = store.step(referral_id, make, session=session)
    except NotFound:
        raise NotYet(f"referral {referral_id} has not arrived yet") from None
    finally:
        _replaying.reset(token)
    if repeat:
        link.observe(tx, "referral.step.repeat", new.id, {"step": step, "seq": seq, "peer": sender})
        return
    # the clock's step crossed feedback given here meanwhile: recorded, the feedback stands
    crossed = step in ("remind", "escalate", "expire") and new.state == FEEDBACK_GIVEN
    if new.state != data["to"] and not crossed:
        reason = f"it leads to {new.state} here, to {data['to']} at {sender}"
        raise StepOutOfOrder(new.id, before[0], step, reason)
    link.observe(tx, "referral.step.received", new.id, {"step": step, "to": new.state, "peer": sender})


# -- receipts of the warnings, at the sending node ---------------------------------------------------------
def _receipt_time(token: str) -> datetime:
    """When the receipt (checked when it was recorded) says the peer received the message."""
    body = json.loads(b64url_decode(compact_segments(token, 3, "receipt")[1], "receipt payload"))
    return parse_iso(str(body["received_at"]), "receipt received_at")


def _answer(status: str, receipt: Any, reason: Any, now: datetime) -> Callable[[Referral], Any]:
    if status == "received":
        at = _receipt_time(str(receipt))
        return lambda r: receive(r, at)
    why = str(reason or "refused by the peer")
    return lambda r: refused(r, why, now)


#: the answered message of each warning still waiting for its receipt: joined on the outbox key of its
#: newest sending (exact: the key is unique in the outbox, and the sent referrals are few)
_ANSWERED = (
    select(ReferralRow.id, OutgoingRow.status, OutgoingRow.receipt, OutgoingRow.reason)
    .join(OutgoingRow, OutgoingRow.key == ReferralRow.warning_key)
    .where(ReferralRow.state == SENT, OutgoingRow.status.in_(("received", "failed")))
)


def sync_referral_receipts(link: Link) -> list[str]:
    """Move each warning sent from here whose newest message the peer receipted: to ``received`` at the
    time of the receipt, or back to ``drafted`` when it was refused; the referral ids moved (idempotent).
    One transaction for the pass: a delivery pass receipts thousands of warnings at once."""
    with link.node.engine.connect() as connection:
        answered = list(connection.execute(_ANSWERED))
    if not answered:
        return []
    store, now, moved = referral_store(link), link.clock.now(), []
    with unit_of_work(link.node.engine, None) as session:
        for referral_id, status, receipt, reason in answered:
            answer = _answer(status, receipt, reason, now)

            def make(r: Referral, answer: Callable[[Referral], Any] = answer) -> Any:
                if r.state != SENT:  # moved meanwhile (the peer's acknowledgement recorded the receipt)
                    return r, []
                moved.append(r.id)
                return answer(r)

            store.step(referral_id, make, session=session)
    return moved


register(
    Kind(
        WARNING_KIND,
        "A KA2 referral warning from a port of the sender's side to a port of the receiver's, "
        "with its attachments.",
        _receive_warning,
    )
)
register(
    Kind(
        STEP_KIND,
        "One step of a referral taken at the other end: acknowledgement, feedback, seizure report, "
        "closure, alert, expiry.",
        _receive_step,
    )
)
register_source(WARNING_KIND, sync_referral_receipts)
