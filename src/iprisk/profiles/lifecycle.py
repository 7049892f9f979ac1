"""The lifecycle of a risk profile: which step is allowed in which state, and the record of each step.

::

    draft --propose--> proposed --approve (all sides)--> approved --activate--> active --expire--> expired
      ^                   |  \\--approve (one side of a joint profile): stays proposed
      +------reject-------+
    draft | proposed | approved | active --withdraw--> withdrawn

A joint profile needs the approval of both sides: the EU side (``EU`` or any EU member's code) and ``CN``;
any other profile the approval of its owner's side. Changing a profile's content makes a new version, in
draft, whatever the state of the previous one (:func:`revise`); the previous version stays as it was, and
activating the new version expires it (:class:`iprisk.store.ProfileStore`). Functions here are pure: they
return the new profile and the event; the store persists both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from iprisk.errors import InvalidTransition
from iprisk.profiles.model import CN_ADMIN, EU_ADMIN, Profile, admin_side, is_admin

ACTIONS: tuple[str, ...] = ("propose", "approve", "reject", "activate", "expire", "withdraw", "revise")

#: (state, action) -> next state. ``approve`` ends in ``proposed`` while sides are still missing.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "propose"): "proposed",
    ("proposed", "approve"): "approved",
    ("proposed", "reject"): "draft",
    ("approved", "activate"): "active",
    ("active", "expire"): "expired",
    ("draft", "withdraw"): "withdrawn",
    ("proposed", "withdraw"): "withdrawn",
    ("approved", "withdraw"): "withdrawn",
    ("active", "withdraw"): "withdrawn",
}


@dataclass(frozen=True, slots=True)
class Event:
    """One lifecycle step: who did what to which version, when, from which state to which."""

    profile_id: str
    version: int
    action: str
    from_status: str | None
    to_status: str
    by: str
    at: datetime
    admin: str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now(at: datetime | None) -> datetime:
    return (at or datetime.now(UTC)).astimezone(UTC)


def required_sides(profile: Profile) -> frozenset[str]:
    """The sides whose approval the profile needs: ``{EU, CN}`` when joint, else its owner's side."""
    if profile.joint:
        return frozenset({EU_ADMIN, CN_ADMIN})
    return frozenset({admin_side(profile.owner, profile.valid_from)})


def missing_approvals(profile: Profile, approvals: Iterable[str]) -> frozenset[str]:
    """Sides that still have to approve, given the admin codes that approved the current version."""
    given = {admin_side(a, profile.valid_from) for a in approvals}
    return required_sides(profile) - given


def created(
    profile: Profile, *, by: str, at: datetime | None = None, action: str = "create", note: str = ""
) -> Event:
    """The event recording a profile's arrival (created, imported or mined) in its current state."""
    return Event(profile.id, profile.version, action, None, profile.status, by, _now(at), note=note)


def transition(
    profile: Profile,
    action: str,
    *,
    by: str,
    admin: str | None = None,
    approvals: Iterable[str] = (),
    at: datetime | None = None,
    note: str = "",
) -> tuple[Profile, Event]:
    """Apply ``action`` to ``profile``; returns the profile in its new state and the event to record.

    ``approvals`` are the admin codes that already approved this version (for ``approve``). Raises
    :class:`InvalidTransition` when the step is not allowed in the current state.
    """
    when = _now(at)
    if action == "revise":
        raise InvalidTransition(profile.id, profile.status, action, "use revise() with the new content")
    if action not in ACTIONS:
        raise InvalidTransition(profile.id, profile.status, action, f"unknown action (one of {ACTIONS})")
    target = TRANSITIONS.get((profile.status, action))
    if target is None:
        allowed = sorted(a for (s, a) in TRANSITIONS if s == profile.status)
        reason = f"allowed: {', '.join(allowed)}" if allowed else "it is final"
        raise InvalidTransition(profile.id, profile.status, action, reason)
    if action == "approve":
        if not admin or not is_admin(admin.strip().upper()):
            raise InvalidTransition(profile.id, profile.status, action, f"unknown administration {admin!r}")
        code = admin.strip().upper()
        side = admin_side(code, profile.valid_from)
        already = {admin_side(a, profile.valid_from) for a in approvals}
        if side not in required_sides(profile):
            raise InvalidTransition(
                profile.id, profile.status, action, f"{code} is not a party to this profile"
            )
        if side in already:
            raise InvalidTransition(
                profile.id, profile.status, action, f"already approved by the {side} side"
            )
        target = "proposed" if missing_approvals(profile, [*already, side]) else "approved"
    if action == "activate" and profile.valid_to is not None and profile.valid_to < when.date():
        raise InvalidTransition(
            profile.id, profile.status, action, f"its validity ended on {profile.valid_to}"
        )
    new = profile.model_copy(update={"status": target})
    event = Event(profile.id, profile.version, action, profile.status, target, by, when, admin, note)
    return new, event


def revise(
    current: Profile, new_content: Profile, *, by: str, at: datetime | None = None, note: str = ""
) -> tuple[Profile, Event]:
    """A new version of ``current`` with the content of ``new_content``, in draft.

    Raises InvalidTransition when the ids differ or nothing changed.
    """
    if new_content.id != current.id:
        raise InvalidTransition(current.id, current.status, "revise", f"content is for {new_content.id}")
    if current.same_content(new_content):
        raise InvalidTransition(current.id, current.status, "revise", "the content did not change")
    new = new_content.model_copy(update={"version": current.version + 1, "status": "draft"})
    event = Event(current.id, new.version, "revise", current.status, "draft", by, _now(at), note=note)
    return new, event
