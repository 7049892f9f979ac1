"""Simulated referrals: a small world that warns, acknowledges (late, or never), controls and forgets feedback
with stated probabilities, in which whether each warned consignment is fake is known.

The goods of a referral from sending port ``p`` are fake with probability ``fake_rate[p]`` (the truth); a
port that controls finds fakes when there are some (a physical control, sensitivity 1); feedback is forgotten
independently of the outcome. So the hit rate measured from feedback estimates the true share of fakes, which
a test checks against the Wilson interval; the KPIs and the benchmark run on the same referrals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from iprisk.formats.referrals import Feedback, ReferralWarning, TransportDocument
from iprisk.referrals.lifecycle import Referral, acknowledge, close, draft, give_feedback, receive, send
from iprisk.referrals.network import PortNetwork
from iprisk.referrals.permissions import Officer


@dataclass(frozen=True)
class ReferralWorld:
    """How the simulated ports behave; ``fake_rate`` per sending port (default ``default_fake_rate``)."""

    fake_rate: Mapping[str, float] = field(default_factory=dict)
    default_fake_rate: float = 0.35
    p_ack_late: float = 0.2  # acknowledged two to five days after sending instead of within hours
    p_no_ack: float = 0.05  # never acknowledged (feedback may still come, which acknowledges)
    p_not_arrived: float = 0.1  # the goods never arrive: feedback "not_arrived", not controlled
    p_forget_feedback: float = 0.15  # no feedback at all
    p_late_feedback: float = 0.1  # feedback after the deadline

    def truth(self, sending_port: str) -> float:
        return self.fake_rate.get(sending_port, self.default_fake_rate)


@dataclass(frozen=True)
class SimulatedReferral:
    referral: Referral
    fake: bool  # the world's truth


def _warning(rng: np.random.Generator, sending: str, receiving: str, sent: datetime) -> ReferralWarning:
    arrival = (sent + timedelta(days=int(rng.integers(5, 35)))).date()
    serial = int(rng.integers(10**8, 10**9))
    return ReferralWarning.model_construct(  # fields drawn valid by construction: skip validation (speed)
        id=None, reference=None, sending_port=sending, receiving_port=receiving, transport_mode="sea",
        transport_documents=[TransportDocument.model_construct(type="bill_of_lading", number=f"SIM{serial}")],
        conveyance=None, departure_port=sending, arrival_port=receiving, expected_arrival=arrival,
        origin_country="CN", hs_code=str(rng.choice(["640399", "420222", "851712", "950300", "610910"])),
        description="Simulated consignment", quantity=int(rng.integers(10, 5000)),
        value_eur=float(rng.integers(1_000, 100_000)), ipr_type="trademark", right="Simulated brand",
        right_holder_ref=None, indicators=["export_detection"], reasons="Simulated referral", profile_ids=[],
        score=None, requested_action="physical_control", legal_basis="action_plan",
        handling_code="customs_only", expiry=arrival + timedelta(days=20), parties=[], attachments=[],
    )  # fmt: skip


def _feedback(ref: Referral, fake: bool, arrived: bool, at: datetime, articles: int) -> Feedback:
    if not arrived:
        return Feedback.model_construct(
            referral_id=ref.id, result="not_arrived", control_type=None, control_date=None,
            quantity_controlled=None, articles_detained=0, value_eur=None, ipr_type_confirmed=None, text=None,
            at=at,
        )  # fmt: skip
    return Feedback.model_construct(
        referral_id=ref.id, result="seized" if fake else "released", control_type="physical",
        control_date=ref.warning.expected_arrival, quantity_controlled=ref.warning.quantity,
        articles_detained=articles if fake else 0, value_eur=(ref.warning.value_eur or 0.0) if fake else None,
        ipr_type_confirmed="trademark" if fake else None, text=None, at=at,
    )  # fmt: skip


def simulate_referrals(
    world: ReferralWorld, network: PortNetwork, n: int, *, start: date, seed: int = 0
) -> list[SimulatedReferral]:
    """``n`` referrals from China's network ports to the EU's, sent over the 90 days from ``start``, taken
    through their lifecycle as the world's officers behave."""
    rng = np.random.default_rng(seed)
    senders = [p.locode for p in network.of_side("CN")]
    receivers = [p.locode for p in network.of_side("EU")]
    officers = {p: Officer(f"officer.{p.lower()}", "port_officer", network[p].side, frozenset({p}))
                for p in (*senders, *receivers)}  # fmt: skip
    origin = datetime.combine(start, datetime.min.time(), UTC)
    out = []
    for _ in range(n):
        sending, receiving = str(rng.choice(senders)), str(rng.choice(receivers))
        sent = origin + timedelta(seconds=int(rng.integers(0, 90 * 86400)))
        fake = bool(rng.random() < world.truth(sending))
        ref, _ = draft(_warning(rng, sending, receiving, sent), officers[sending], sent)
        ref, _ = send(ref, officers[sending], sent)
        ref, _ = receive(ref, sent + timedelta(seconds=int(rng.integers(1, 120))))
        late = rng.random() < world.p_ack_late
        if rng.random() >= world.p_no_ack:
            delay = (
                timedelta(days=float(rng.uniform(2, 5)))
                if late
                else timedelta(hours=float(rng.uniform(0.2, 8)))
            )
            ref, _ = acknowledge(ref, officers[receiving], sent + delay)
        if rng.random() >= world.p_forget_feedback:
            arrived = rng.random() >= world.p_not_arrived
            days = rng.uniform(31, 60) if rng.random() < world.p_late_feedback else rng.uniform(1, 25)
            at = datetime.combine(ref.warning.expected_arrival, datetime.min.time(), UTC) + timedelta(
                days=days
            )
            at = max(at, (ref.acknowledged_at or sent) + timedelta(minutes=1))
            articles = int(rng.integers(1, ref.warning.quantity + 1))
            ref, _ = give_feedback(ref, officers[receiving], _feedback(ref, fake, arrived, at, articles))
            ref, _ = close(ref, officers[sending], at + timedelta(days=1))
        out.append(SimulatedReferral(ref, fake))
    return out
