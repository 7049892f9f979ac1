from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iprisk.errors import InvalidTransition
from iprisk.profiles import TRANSITIONS, missing_approvals, revise, transition
from tests.profiles.samples import profile


def _walk(p, *actions: str, admins: tuple[str, ...] = ()):
    approvals: list[str] = []
    admin_iter = iter(admins)
    for action in actions:
        admin = next(admin_iter) if action == "approve" else None
        p, event = transition(p, action, by="ana", admin=admin, approvals=approvals)
        if action == "approve":
            approvals.append(admin)
        assert event.profile_id == p.id and event.to_status == p.status and event.by == "ana"
    return p


def test_happy_path_of_a_national_profile() -> None:
    p = _walk(profile(owner="NL"), "propose", "approve", "activate", "expire", admins=("NL",))
    assert p.status == "expired"


def test_a_joint_profile_needs_both_sides() -> None:
    p = profile(owner="DE", joint=True)
    p = _walk(p, "propose")
    p1, e1 = transition(p, "approve", by="ana", admin="FR")
    assert p1.status == "proposed" and e1.admin == "FR"
    assert missing_approvals(p1, ["FR"]) == {"CN"}
    with pytest.raises(InvalidTransition, match="already approved by the EU side"):
        transition(p1, "approve", by="ana", admin="EU", approvals=["FR"])
    with pytest.raises(InvalidTransition, match="cannot activate"):
        transition(p1, "activate", by="ana")
    p2, e2 = transition(p1, "approve", by="li", admin="CN", approvals=["FR"])
    assert p2.status == "approved" and (e2.from_status, e2.to_status) == ("proposed", "approved")


def test_a_national_profile_refuses_the_other_side() -> None:
    p = _walk(profile(owner="NL"), "propose")
    with pytest.raises(InvalidTransition, match="CN is not a party"):
        transition(p, "approve", by="li", admin="CN")
    with pytest.raises(InvalidTransition, match="unknown administration"):
        transition(p, "approve", by="li", admin="ZZZ")


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("draft", "activate"),
        ("draft", "approve"),
        ("active", "propose"),
        ("withdrawn", "propose"),
        ("expired", "activate"),
    ],
)
def test_invalid_transitions_name_profile_state_and_action(state: str, action: str) -> None:
    p = profile("PX").model_copy(update={"status": state})
    with pytest.raises(InvalidTransition) as info:
        transition(p, action, by="ana", admin="NL")
    exc = info.value
    assert (exc.profile_id, exc.state, exc.action) == ("PX", state, action)
    assert "PX" in str(exc) and state in str(exc) and action in str(exc)
    assert isinstance(exc, ValueError)


def test_every_state_but_the_final_ones_can_be_withdrawn() -> None:
    finals = {"expired", "withdrawn"}
    for state in ("draft", "proposed", "approved", "active"):
        assert TRANSITIONS[(state, "withdraw")] == "withdrawn"
    assert not any(s in finals for s, _a in TRANSITIONS)


def test_activation_after_validity_is_refused() -> None:
    p = profile(valid_to="2021-06-30").model_copy(update={"status": "approved"})
    with pytest.raises(InvalidTransition, match="validity ended"):
        transition(p, "activate", by="ana", at=datetime(2021, 7, 1, tzinfo=UTC))


def test_revise_makes_a_new_draft_version() -> None:
    current = profile().model_copy(update={"status": "active", "version": 2})
    new, event = revise(current, profile(risk_level=5), by="ana")
    assert (new.version, new.status, new.risk_level) == (3, "draft", 5)
    assert (event.action, event.from_status, event.to_status, event.version) == (
        "revise",
        "active",
        "draft",
        3,
    )
    with pytest.raises(InvalidTransition, match="did not change"):
        revise(current, profile(), by="ana")
