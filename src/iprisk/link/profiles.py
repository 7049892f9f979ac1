"""Joint risk profiles between the nodes: every step of a joint profile at one node is a signed message to the
other, which takes the same step; activation needs both sides' approvals (the lifecycle's rule, at each node).

**Sender.** The node's profile store tells the link of every step inside its transaction (``on_change``); for
a joint profile the link queues one ``profile.step`` message per peer *in that same transaction* (both are in
the operational database): the step and its message commit together, or neither does. The payload is JSON:
the profile as it is after the step (content, version, status), the action, the states before and after, who
took it and when, the administration that approved (for ``approve``), and ``seq``, how many steps that version
had before this one.

**Receiver.** The step is taken in the inbox's unit of work, under the sender's name (``anna@EU``), with the
message id in its note (the signed message is kept in the inbox: the approval is verifiable by anyone holding
the sender's public key). Rules:

* only joint profiles travel, and a node approves only for its own side (the EU node cannot send CN's
  approval): anything else is refused for good;
* a new version (created, imported, revised) is stored with the number and state it has at the sender; a
  version that arrives before the one it follows waits (retried); the same version with other content is a
  conflict, refused (reconciliation names it);
* a step whose version has fewer steps here than ``seq`` waits for them (retried); a step from the state it
  left is taken (the lifecycle checks it, and the state it reaches must be the sender's — except for an
  approval, which completes the profile where the other side's approval is already in); a step whose result
  is already the state here (both sides took it) changes nothing; any other is a conflict, refused.

Steps taken here because the peer took them are not sent back.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iprisk.errors import InvalidInput, InvalidTransition, NotFound, Problem
from iprisk.exchange import Opened
from iprisk.exchange._encoding import canonical_json
from iprisk.link.errors import NotYet
from iprisk.link.kinds import Kind, register
from iprisk.profiles.lifecycle import Event
from iprisk.profiles.model import Profile, admin_side
from iprisk.store.channel import SqlChannelTransaction
from iprisk.store.db import ProfileEventRow

if TYPE_CHECKING:
    from iprisk.link.context import Link
    from iprisk.store.profiles import ChangeHook

PROFILE_KIND = "profile.step"
#: set while a step received from the peer is taken here: it is not sent back
_replaying: ContextVar[bool] = ContextVar("iprisk_profile_replaying", default=False)


def _creates_version(action: str, from_status: str | None) -> bool:
    return action == "revise" or from_status is None


def _steps_before(session: Session, profile_id: str, version: int) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(ProfileEventRow)
        .where(ProfileEventRow.profile_id == profile_id, ProfileEventRow.version == version)
    )
    return int(count or 0)


def profile_hook(link: Link) -> ChangeHook:
    """The store's ``on_change`` for a node with a channel: queue each joint profile's step to the peers."""

    def on_change(session: Session, profile: Profile, event: Event) -> None:
        if not profile.joint or _replaying.get():
            return
        step = {
            "profile": profile.model_dump(mode="json"),
            "action": event.action,
            "from": event.from_status,
            "to": event.to_status,
            "by": event.by,
            "at": event.at.isoformat(),
            "admin": event.admin,
            "note": event.note,
            "seq": _steps_before(session, profile.id, profile.version) - 1,  # this step is in the session
        }
        tx = SqlChannelTransaction.joining(session)
        for peer in sorted(link.rings(tx)):
            link.send(tx, PROFILE_KIND, peer, canonical_json(step))

    return on_change


def _read_step(opened: Opened) -> tuple[Profile, dict[str, Any]]:
    source = f"{opened.message.sender} message {opened.message.id}"
    try:
        step = json.loads(opened.message.payload)
        profile = Profile.model_validate(step["profile"])
        missing = [key for key in ("action", "to", "by", "at", "seq") if key not in step]
        if missing:
            raise KeyError(", ".join(missing))
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        problem = Problem("profile_step", f"unreadable profile step: {exc}"[:300])
        raise InvalidInput([problem], source=source) from None
    return profile, step


def _apply_step(link: Link, tx: Any, opened: Opened) -> None:
    from iprisk.warehouse import parse_timestamp

    profile, step = _read_step(opened)
    sender, action = opened.message.sender, step["action"]
    if not profile.joint:
        raise InvalidTransition(
            profile.id, profile.status, action, "only joint profiles travel between nodes"
        )
    if action == "approve" and admin_side(str(step.get("admin") or ""), profile.valid_from) != sender:
        raise InvalidTransition(
            profile.id, profile.status, action, f"{sender} cannot approve for {step.get('admin')}"
        )
    store = link.node.profiles
    session = tx.session
    by = f"{step['by']}@{sender}"
    note = f"{step.get('note') or ''} [{action} at {sender}, message {opened.message.id}]".strip()
    at = parse_timestamp(step["at"])
    token = _replaying.set(True)
    try:
        if _creates_version(action, step.get("from")):
            event = Event(
                profile.id,
                profile.version,
                action,
                step.get("from"),
                step["to"],
                by,
                at,
                step.get("admin"),
                note,
            )
            _receive_version(store, session, profile, event)
        else:
            _receive_transition(store, session, profile, step, by, note, at)
    finally:
        _replaying.reset(token)
    details = {"action": action, "from": step.get("from"), "to": step["to"], "peer": sender}
    link.observe(tx, "profile.received", f"{profile.id} v{profile.version}", details)


def _receive_version(store: Any, session: Session, profile: Profile, event: Event) -> None:
    try:
        here = store.get(profile.id, profile.version, session=session)
    except NotFound:
        here = None
    if here is not None:
        if here.same_content(profile):
            return  # created on both sides alike
        raise InvalidTransition(profile.id, here.status, event.action, "this version has other content here")
    try:
        latest = store.get(profile.id, session=session).version
    except NotFound:
        latest = 0
    if profile.version > latest + 1:
        raise NotYet(f"profile {profile.id} v{profile.version} arrived before v{latest + 1}")
    store.add_version(profile.model_copy(update={"status": event.to_status}), event, session=session)


def _receive_transition(
    store: Any, session: Session, profile: Profile, step: dict[str, Any], by: str, note: str, at: Any
) -> None:
    action = step["action"]
    try:
        here = store.get(profile.id, profile.version, session=session)
    except NotFound:
        raise NotYet(f"profile {profile.id} v{profile.version} has not arrived yet") from None
    if _steps_before(session, profile.id, profile.version) < int(step["seq"]):
        raise NotYet(f"profile {profile.id} v{profile.version}: earlier steps have not arrived yet")
    if here.status == step["from"]:
        new = store.apply(
            profile.id,
            action,
            by=by,
            admin=step.get("admin"),
            note=note,
            version=profile.version,
            at=at,
            session=session,
        )
        # An approval leads to "approved" where the other side's approval is already in, "proposed" where it
        # is not: both sides' approvals crossing on the way is the normal case. Any other step leads where
        # it led at the peer.
        if action != "approve" and new.status != step["to"]:
            reason = f"it leads to {new.status} here, to {step['to']} at the peer"
            raise InvalidTransition(profile.id, here.status, action, reason)
    elif here.status != step["to"]:
        raise InvalidTransition(profile.id, here.status, action, f"the peer took it from {step['from']}")


register(
    Kind(
        PROFILE_KIND,
        "One lifecycle step of a joint risk profile (a new version, or a transition such as an approval).",
        _apply_step,
    )
)
