"""Keeping the two copies of a referral together: what each node holds, and the steps the peer is missing sent
again.

A step message can expire undelivered (the peer unreachable longer than the channel's time to live) or be
lost to an operator's mistake; the two nodes' copies of the referral then stand in different states. The
**referral manifest** of a node lists, for every referral that left the drafted state, its state, how many
steps of each end it holds (``sending``: close and the clock's steps; ``receiving``: acknowledgement, feedback
and its amendments, seizure report — the ``seq`` of the next step of that end) and a digest of the history
both nodes share (the steps from the receipt on: step, states, time, who). ``iprisk exchange reconcile``
compares the manifests (:mod:`iprisk.link.reconcile`) and names each referral whose copies differ.

:func:`resend_missing` then queues again, at the node where they were taken, the steps the peer lacks: a new
message (new id) with the same step, content and ``seq``, rebuilt from this node's events and documents, for
each step whose message expired or was refused (one still on its way is left to the channel). The receiver's
rules make it apply once: a step whose ``seq`` it holds already with the same step, state and time is a
repeat and changes nothing (:func:`iprisk.link.referrals.is_repeat`); a warning stored already with the same
content changes nothing either.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from iprisk.exchange import OPEN_STATUSES
from iprisk.exchange._encoding import canonical_json, iso
from iprisk.formats.referrals import read_seizure_report
from iprisk.link.referrals import (
    STEP_KIND,
    WARNING_KIND,
    family_name,
    referral_store,
    step_key,
    step_payload,
    warning_key,
    warning_payload,
)
from iprisk.referrals.lifecycle import DRAFTED, Event, Referral
from iprisk.referrals.network import side_of
from iprisk.store.channel import OutgoingRow, SqlChannelTransaction
from iprisk.store.db import utc
from iprisk.store.referrals import ReferralEventRow, ReferralRow

if TYPE_CHECKING:
    from iprisk.link.context import Link

#: The ends whose steps are counted, in the manifest's field names.
ENDS = ("sending", "receiving")


@dataclass(frozen=True)
class Resend:
    """One message :func:`resend_missing` considered: the warning (``seq`` None) or a step of one end.

    ``outcome``: ``queued`` (a new message is in the outbox), ``in flight`` (its message is still being
    delivered: left to the channel), ``needs attachments`` (a warning with attachments sent before the
    sending node kept their contents: ``iprisk referrals send`` must be run again by its officer)."""

    referral_id: str
    step: str
    seq: int | None
    outcome: Literal["queued", "in flight", "needs attachments"]

    def __str__(self) -> str:
        place = "" if self.seq is None else f" (seq {self.seq})"
        return f"referral {self.referral_id}: {self.step}{place} {self.outcome}"


def _shared_history(events: Iterable[tuple[str, str | None, str, str, Any]]) -> list[list[Any]]:
    """The steps both nodes record, from the (first) receipt on, as plain values: the receipt, then each step,
    who took it and when, in the order of their times; a repeated receipt is not a step.

    The receipt's time is left out: the sending node takes the time its receipt gives, the receiving node
    its clock as it stores the warning, a moment later in the same unit of work. The states are left out and
    the steps put in time order: two steps taken at once at the two ends (an expiry and a feedback that cross
    on the way) are recorded in the two orders, through different states, and end the same (the manifest
    compares the states the referrals end in)."""
    receipt: list[Any] | None = None
    steps: list[list[Any]] = []
    for step, from_state, to_state, by, at in events:
        if step == "receive" and receipt is None and from_state != to_state:
            receipt = [step, by.split("@")[0]]
        elif receipt is not None and not (step == "receive" and from_state == to_state):
            steps.append([iso(utc(at)), step, by.split("@")[0]])
    return [] if receipt is None else [receipt, *sorted(steps)]


def referral_manifest(
    link: Link, *, after: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The referrals of this node that left the drafted state, by id: id, state, steps per end, history
    digest; only those whose id comes after ``after``, and ``limit`` at most, when given (a page)."""
    chosen = select(ReferralRow.id, ReferralRow.state).where(ReferralRow.state != DRAFTED)
    if after is not None:
        chosen = chosen.where(ReferralRow.id > after)
    chosen = chosen.order_by(ReferralRow.id).limit(limit)
    with Session(link.node.engine) as session:
        states = dict(session.execute(chosen).all())
        ids = select(chosen.subquery().c.id)
        rows = session.execute(
            select(
                ReferralEventRow.referral_id, ReferralEventRow.step, ReferralEventRow.from_state,
                ReferralEventRow.to_state, ReferralEventRow.by, ReferralEventRow.at,
            )
            .where(ReferralEventRow.referral_id.in_(ids))
            .order_by(ReferralEventRow.referral_id, ReferralEventRow.event_id)
        ).all()  # fmt: skip
    events: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for referral_id, *event in rows:
        events[referral_id].append(tuple(event))
    entries = []
    for referral_id in states:  # in the database's order of ids: a page ends where the next begins
        steps = [e[0] for e in events[referral_id]]
        history = hashlib.sha256(canonical_json(_shared_history(events[referral_id]))).hexdigest()
        counts = {end: sum(family_name(s) == end for s in steps) for end in ENDS}
        entries.append({"id": referral_id, "state": states[referral_id], **counts, "history": history})
    return entries


def describe(entry: dict[str, Any] | None) -> str | None:
    """A referral's manifest entry in a few words (``None`` when the node does not hold it)."""
    if entry is None:
        return None
    return (
        f"{entry['state']}, {entry['sending']} sending and {entry['receiving']} receiving steps, "
        f"history {entry['history'][:12]}"
    )


def differs(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> bool:
    """Whether two manifest entries of one referral disagree (state, steps of each end or history)."""
    fields = ("state", *ENDS, "history")
    return ours is None or theirs is None or any(ours[f] != theirs[f] for f in fields)


def _latest_outgoing(session: Session, base: str) -> str | None:
    """The status of the newest message whose key is ``base`` or one of its re-sendings, or ``None``."""
    status: str | None = session.execute(
        select(OutgoingRow.status)
        .where((OutgoingRow.key == base) | OutgoingRow.key.like(f"{base}/%"))
        .order_by(OutgoingRow.created.desc(), OutgoingRow.id.desc())
        .limit(1)
    ).scalar()
    return status


def _resend_key(session: Session, base: str) -> str:
    count = session.execute(select(OutgoingRow.key).where(OutgoingRow.key.like(f"{base}/resend%"))).all()
    return f"{base}/resend{len(count) + 1}"


def _as_when_taken(ref: Referral, feedbacks_before: int, event: Event) -> Referral:
    """``ref`` with the feedback in force when ``event`` was taken (the k-th feedback event gave the k-th
    entry of the history), or the seizure report that event reported (its event keeps it; the referral only
    the last), so that its message carries the document it carried then."""
    if event.step == "feedback":
        return replace(ref, feedback=ref.feedback[: feedbacks_before + 1])
    if event.step == "seizure_report" and "seizure_report" in event.details:
        return replace(ref, seizure_report=read_seizure_report(event.details["seizure_report"]))
    return ref


def _resend_referral(
    link: Link, tx: SqlChannelTransaction, peer: str, ref: Referral, theirs: dict[str, Any] | None
) -> list[Resend]:
    session, store = tx.session, referral_store(link)
    events = store.events(ref.id, session=session)
    done: list[Resend] = []
    if theirs is None:
        if side_of(ref.warning.sending_port) != link.name:
            return done  # a copy received here: its warning is the sending node's to send again
        sends = [e for e in events if e.step == "send"]
        base = warning_key(ref.id, len(sends))
        if _latest_outgoing(session, base) in OPEN_STATUSES:
            return [Resend(ref.id, "warning", None, "in flight")]
        contents = store.attachments(ref.id, session=session)
        if ref.warning.attachments and not contents:
            return [Resend(ref.id, "warning", None, "needs attachments")]  # sent before they were kept
        key = _resend_key(session, base)
        link.send(tx, WARNING_KIND, peer, warning_payload(ref, sends[-1], contents), key=key)
        store.record_sending(ref.id, key, None, session=session)
        done.append(Resend(ref.id, "warning", None, "queued"))
        theirs = dict.fromkeys(ENDS, 0)
    ports = (ref.warning.sending_port, ref.warning.receiving_port)
    for end in [end for end, port in zip(ENDS, ports, strict=True) if side_of(port) == link.name]:
        taken = [e for e in events if family_name(e.step) == end]
        for seq in range(int(theirs[end]), len(taken)):
            event, base = taken[seq], step_key(ref.id, end, seq)
            if _latest_outgoing(session, base) in OPEN_STATUSES:
                done.append(Resend(ref.id, event.step, seq, "in flight"))
                continue
            feedbacks_before = sum(e.step == "feedback" for e in taken[:seq])
            payload = step_payload(_as_when_taken(ref, feedbacks_before, event), event, seq)
            link.send(tx, STEP_KIND, peer, payload, key=_resend_key(session, base))
            done.append(Resend(ref.id, event.step, seq, "queued"))
    return done


def resend_missing(link: Link, peer: str, theirs: list[dict[str, Any]]) -> list[Resend]:
    """Queue again, for ``peer`` whose referral manifest is ``theirs``, every step taken at this node that the
    peer does not hold (and the warning of a referral sent from here that it does not hold at all); one
    transaction per referral. What was considered, in order."""
    by_id = {entry["id"]: entry for entry in theirs}
    ours = {entry["id"]: entry for entry in referral_manifest(link)}
    store, done = referral_store(link), []
    for referral_id, entry in ours.items():
        other = by_id.get(referral_id)
        if other is not None and all(other[end] >= entry[end] for end in ENDS):
            continue  # the peer holds every step of both ends (a difference left is the peer's to resend)
        with Session(link.node.engine) as session, session.begin():
            tx = SqlChannelTransaction.joining(session)
            ref = store.get(referral_id, session=session)
            if peer not in _ends(ref):
                continue
            done += _resend_referral(link, tx, peer, ref, other)
    return done


def _ends(ref: Referral) -> tuple[str, str]:
    return side_of(ref.warning.sending_port), side_of(ref.warning.receiving_port)


__all__ = ["ENDS", "Resend", "describe", "differs", "referral_manifest", "resend_missing"]
