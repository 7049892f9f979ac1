"""Reconciliation: does the peer hold what we hold? Compare the nodes' manifests and name every difference.

A node's **manifest** lists the current version of every submission in its warehouse (administration,
quarter, version, content hash, rows), the newest version of every joint risk profile in its store (id,
version, status, the sides that approved it) and every referral that was sent (state, steps of each end,
history digest: :mod:`iprisk.link.referral_sync`). ``iprisk exchange reconcile`` asks the peer for its
manifest (a sealed question, see :mod:`iprisk.link.queries`; the referrals in pages of
:data:`REFERRAL_PAGE`, each its own question and answer, so no answer grows with the referrals held) and
compares: a submission held on one side
only, a submission whose current content hash differs, a joint profile whose version, state or approvals
differ, a referral held on one side only or whose state, steps or history differ (``--resend`` then queues
again the steps taken here that the peer lacks).
The version *numbers* of a submission may differ between the nodes without it being a difference (a
receiver skips a version that arrived after a newer one); its current content may not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from iprisk.exchange import MalformedMessage, Opened
from iprisk.link.queries import ask, question_of, register_query
from iprisk.link.referral_sync import describe, differs, referral_manifest
from iprisk.profiles.model import admin_side

if TYPE_CHECKING:
    from iprisk.link.context import Link

MANIFEST = "manifest"
REFERRAL_MANIFEST = "referral_manifest"
#: Referrals per answer of the referral manifest (about 150 bytes each: answers of about 150 kB).
REFERRAL_PAGE = 1000


@dataclass(frozen=True)
class Difference:
    """One thing the two nodes do not agree on; ``here`` / ``there`` describe each side (None: absent)."""

    what: Literal["submission", "profile", "referral"]
    key: str
    here: str | None
    there: str | None

    @property
    def problem(self) -> str:
        if self.here is None:
            return "missing here"
        if self.there is None:
            return "missing at the peer"
        return {
            "submission": "content differs",
            "profile": "version, state or approvals differ",
            "referral": "state, steps or history differ",
        }[self.what]

    def __str__(self) -> str:
        return f"{self.what} {self.key}: {self.problem} (here: {self.here or '-'}; peer: {self.there or '-'})"


@dataclass
class Reconciliation:
    node: str
    peer: str
    submissions: int
    profiles: int
    differences: list[Difference] = field(default_factory=list)
    referrals: int = 0
    #: the peer's referral manifest (what :func:`iprisk.link.referral_sync.resend_missing` reads)
    their_referrals: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.differences


def manifest(link: Link) -> dict[str, Any]:
    """What this node holds: current submissions and joint profiles (see the module docstring)."""
    from iprisk.warehouse import Warehouse

    with Warehouse.open(link.warehouse) as wh:
        log = wh.submissions()
    current = log[log["status"] == "current"]
    submissions = [
        {
            "admin": r["reporting_admin"],
            "quarter": r["quarter"],
            "version": int(r["version"]),
            "hash": r["content_hash"],
            "rows": int(r["rows"]),
        }
        for r in current.to_dict(orient="records")
    ]
    store = link.node.profiles
    profiles = [
        {
            "id": p.id,
            "version": p.version,
            "status": p.status,
            "approvals": sorted({admin_side(a, p.valid_from) for a in store.approvals(p.id, p.version)}),
        }
        for p in store.profiles()
        if p.joint
    ]
    return {"node": link.name, "submissions": submissions, "profiles": profiles}


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> Reconciliation:
    """The differences between two manifests (pure)."""
    mine = {f"{s['admin']} {s['quarter']}": s for s in ours["submissions"]}
    other = {f"{s['admin']} {s['quarter']}": s for s in theirs["submissions"]}
    differences = [
        Difference("submission", key, _sub(mine.get(key)), _sub(other.get(key)))
        for key in sorted(mine.keys() | other.keys())
        if (mine.get(key) or {}).get("hash") != (other.get(key) or {}).get("hash")
    ]
    my_profiles = {p["id"]: p for p in ours["profiles"]}
    their_profiles = {p["id"]: p for p in theirs["profiles"]}
    differences += [
        Difference("profile", key, _prof(my_profiles.get(key)), _prof(their_profiles.get(key)))
        for key in sorted(my_profiles.keys() | their_profiles.keys())
        if _prof(my_profiles.get(key)) != _prof(their_profiles.get(key))
    ]
    my_referrals = {r["id"]: r for r in ours.get("referrals", [])}
    their_referrals = {r["id"]: r for r in theirs.get("referrals", [])}
    differences += [
        Difference("referral", key, describe(my_referrals.get(key)), describe(their_referrals.get(key)))
        for key in sorted(my_referrals.keys() | their_referrals.keys())
        if differs(my_referrals.get(key), their_referrals.get(key))
    ]
    return Reconciliation(
        ours["node"],
        theirs["node"],
        len(mine.keys() | other.keys()),
        len(my_profiles.keys() | their_profiles.keys()),
        differences,
        referrals=len(my_referrals.keys() | their_referrals.keys()),
        their_referrals=list(their_referrals.values()),
    )


def reconcile(link: Link, peer: str) -> Reconciliation:
    """Ask ``peer`` for its manifest, its referrals page by page, and compare them with ours."""
    theirs = ask(link, peer, MANIFEST) | {"referrals": peer_referral_manifest(link, peer)}
    return compare(manifest(link) | {"referrals": referral_manifest(link)}, theirs)


def peer_referral_manifest(link: Link, peer: str) -> list[dict[str, Any]]:
    """The referral manifest of ``peer``, asked one page after the other."""
    entries: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = ask(link, peer, REFERRAL_MANIFEST, {"after": after})
        entries += page["referrals"]
        after = page["next"]
        if after is None:
            return entries


def _sub(entry: dict[str, Any] | None) -> str | None:
    return None if entry is None else f"v{entry['version']} {entry['hash'][:12]} ({entry['rows']} rows)"


def _prof(entry: dict[str, Any] | None) -> str | None:
    if entry is None:
        return None
    approved = ", ".join(entry.get("approvals") or []) or "nobody"
    return f"v{entry['version']} {entry['status']} (approved by {approved})"


def _answer_manifest(link: Link, opened: Opened) -> dict[str, Any]:
    return manifest(link)


def _answer_referral_page(link: Link, opened: Opened) -> dict[str, Any]:
    """``REFERRAL_PAGE`` referrals after the question's ``after`` (none: from the first), and the id to ask
    after next (none: that was the last page)."""
    question = question_of(opened)
    after = question.get("after") if isinstance(question, dict) else None
    if after is not None and not isinstance(after, str):
        raise MalformedMessage(f"{opened.message.kind}: 'after' is a referral id, not {type(after).__name__}")
    entries = referral_manifest(link, after=after, limit=REFERRAL_PAGE)
    return {"referrals": entries, "next": entries[-1]["id"] if len(entries) == REFERRAL_PAGE else None}


register_query(MANIFEST, _answer_manifest)
register_query(REFERRAL_MANIFEST, _answer_referral_page)
