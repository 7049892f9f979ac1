"""The errors of the referral lifecycle."""

from __future__ import annotations

from iprisk.errors import Forbidden, InvalidTransition, IpriskError


class StepOutOfOrder(InvalidTransition):
    """A referral cannot take the step asked for in its state (feedback on a closed referral...); an invalid
    lifecycle step like a profile's (exit 1, HTTP 409 in the error map)."""

    def __init__(self, referral_id: str, state: str, step: str, reason: str):
        self.referral_id = self.profile_id = referral_id
        self.state = state
        self.step = self.action = step
        self.reason = reason
        IpriskError.__init__(
            self, f"referral {referral_id}: cannot {step} a referral in state {state!r}: {reason}"
        )


class NotPermitted(Forbidden):
    """The user may not take this step on this referral (another port's officer, the wrong side, a role);
    forbidden like any refusal of the authorisation table (HTTP 403 in the error map)."""

    def __init__(self, user: str, step: str, referral_id: str, reason: str):
        self.user = user
        self.step = self.action = step
        self.referral_id = referral_id
        self.role = ""
        self.reason = reason
        IpriskError.__init__(self, f"user {user} may not {step} referral {referral_id}: {reason}")
