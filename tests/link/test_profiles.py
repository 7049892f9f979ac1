"""Joint risk profiles between two nodes: each step is a signed message; activation needs both sides'
approvals; both stores agree on every profile's version and state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from iprisk.errors import InvalidTransition
from iprisk.exchange import verify_signed
from iprisk.link import reconcile
from iprisk.link.profiles import PROFILE_KIND
from tests.link.twonodes import Side
from tests.profiles.samples import profile


def _sync(*sides: Side) -> None:
    """Deliver both ways until nothing is due (steps may need a retry to arrive in order)."""
    for _ in range(6):
        busy = sum(side.link.deliver().attempted for side in sides)
        if not busy:
            return
        for side in sides:
            side.node.clock.advance(timedelta(minutes=11))


def _state(side: Side, pid: str) -> tuple[int, str]:
    p = side.node.profiles.get(pid)
    return p.version, p.status


def test_a_joint_profile_is_approved_by_both_sides_and_activated_on_both(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    eu.node.profiles.add(profile("J1", owner="DE", joint=True), by="anna")
    eu.node.profiles.propose("J1", by="anna")
    _sync(eu, cn)
    assert _state(cn, "J1") == (1, "proposed")
    eu.node.profiles.approve("J1", "DE", by="anna")
    with pytest.raises(InvalidTransition, match="cannot activate"):
        eu.node.profiles.activate("J1", by="anna")  # the CN side has not approved
    cn.node.profiles.approve("J1", "CN", by="li")
    _sync(eu, cn)
    assert _state(eu, "J1") == _state(cn, "J1") == (1, "approved")
    cn.node.profiles.activate("J1", by="li")
    _sync(eu, cn)
    assert _state(eu, "J1") == _state(cn, "J1") == (1, "active")
    assert reconcile(eu.link, "CN").ok
    at_eu = [(e.action, e.admin, e.by) for e in eu.node.profiles.history("J1")]
    assert at_eu == [
        ("create", None, "anna"),
        ("propose", None, "anna"),
        ("approve", "DE", "anna"),
        ("approve", "CN", "li@CN"),
        ("activate", None, "li@CN"),
    ]
    with eu.link.store.transaction() as tx:  # CN's approval, as EU keeps it: a signed message
        kept = [m.signed for m in tx.incoming() if m.kind == PROFILE_KIND]
    opened = [verify_signed(signed, eu.link.rings(), eu.node.clock.now()) for signed in kept]
    approvals = [o for o in opened if b'"action":"approve"' in o.message.payload]
    assert [o.message.sender for o in approvals] == ["CN"]


def test_a_revision_travels_and_replaces_the_active_version_on_both(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    store = eu.node.profiles
    store.add(profile("J2", owner="CN", joint=True), by="anna")
    store.propose("J2", by="anna")
    store.approve("J2", "FR", by="anna")
    _sync(eu, cn)
    cn.node.profiles.approve("J2", "CN", by="li")
    _sync(eu, cn)
    store.activate("J2", by="anna")
    store.add(profile("J2", owner="CN", joint=True, risk_level=5, status="proposed"), by="anna")  # v2
    _sync(eu, cn)
    assert _state(cn, "J2") == _state(eu, "J2") == (2, "proposed")
    assert cn.node.profiles.get("J2", 1).status == "active" and cn.node.profiles.get("J2").risk_level == 5
    assert reconcile(cn.link, "EU").ok


def test_a_profile_that_is_not_joint_stays_home_and_a_node_cannot_approve_for_the_other(
    nodes: tuple[Side, Side],
) -> None:
    eu, cn = nodes
    eu.node.profiles.add(profile("L1", owner="DE"), by="anna")
    eu.node.profiles.propose("L1", by="anna")
    with eu.link.store.transaction() as tx:
        assert tx.outgoing() == []
    eu.node.profiles.add(profile("J3", owner="DE", joint=True), by="anna")
    eu.node.profiles.propose("J3", by="anna")
    eu.node.profiles.approve("J3", "CN", by="mallory")  # an EU user approving for China
    _sync(eu, cn)
    assert _state(cn, "J3") == (1, "proposed")
    with eu.link.store.transaction() as tx:
        (refused,) = tx.outgoing("failed")
    assert "EU cannot approve for CN" in (refused.reason or "")
    assert not reconcile(eu.link, "CN").ok  # and the difference is named
