"""The referral lifecycle as a pure state machine: every step takes the referral and the time, checks who
acts, and returns the new referral with the :class:`Event` to record (the store writes both at once).

States: drafted -> sent -> received -> acknowledged -> feedback_given -> closed, and expired. Feedback before
acknowledgement is allowed (it acknowledges too); a second feedback amends the first, whose history is kept.
:func:`tick` is the clock: at a given time it raises the reminders and escalations that are due and expires
referrals whose goods can no longer arrive. Deadlines (:class:`Deadlines`) run from the sending
(acknowledgement) and from the expected arrival (feedback).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from iprisk.codes import LEGAL_BASES
from iprisk.errors import InvalidValue
from iprisk.formats.referrals import Feedback, ReferralWarning, SeizureReport, to_json
from iprisk.referrals.errors import StepOutOfOrder
from iprisk.referrals.permissions import Actor, require
from iprisk.settings import Settings, get_settings

DRAFTED, SENT, RECEIVED, ACKNOWLEDGED, FEEDBACK_GIVEN, CLOSED, EXPIRED = (
    "drafted", "sent", "received", "acknowledged", "feedback_given", "closed", "expired"
)  # fmt: skip
#: States still waiting for the receiving port.
OPEN = frozenset({SENT, RECEIVED, ACKNOWLEDGED})
#: The channel (not a person) records receipts and the clock raises alerts and expiries.
SYSTEM = "system"


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday; public holidays are not known here)."""
    at = start
    while days > 0:
        at += timedelta(days=1)
        if at.weekday() < 5:
            days -= 1
    return at


@dataclass(frozen=True)
class Deadlines:
    """When acknowledgement and feedback are due, and when an overdue one is escalated to the coordinator."""

    ack_working_days: int = 1
    ack_escalation_working_days: int = 1  # after the reminder
    feedback_days: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(LEGAL_BASES, 30))
    feedback_escalation_days: int = 7  # after the reminder

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Deadlines:
        """The deadlines the settings give (``referral_ack_working_days``, ``referral_feedback_days``...)."""
        s = settings or get_settings()
        unknown = sorted(set(s.referral_feedback_days_by_basis) - set(LEGAL_BASES))
        if unknown:
            raise InvalidValue(
                f"referral_feedback_days_by_basis: not legal basis codes: {', '.join(unknown)}"
            )
        days = {basis: s.referral_feedback_days for basis in LEGAL_BASES} | s.referral_feedback_days_by_basis
        return cls(
            ack_working_days=s.referral_ack_working_days,
            ack_escalation_working_days=s.referral_ack_working_days,
            feedback_days=days,
        )

    def ack_due(self, sent_at: datetime) -> datetime:
        return add_working_days(sent_at, self.ack_working_days)

    def ack_escalation(self, sent_at: datetime) -> datetime:
        return add_working_days(self.ack_due(sent_at), self.ack_escalation_working_days)

    def feedback_due(self, sent_at: datetime, warning: ReferralWarning) -> datetime:
        """``feedback_days`` (per legal basis) after the later of the sending and the expected arrival."""
        return self.feedback_due_of(sent_at, warning.expected_arrival, warning.legal_basis)

    def feedback_due_of(self, sent_at: datetime, expected_arrival: date, legal_basis: str) -> datetime:
        """:meth:`feedback_due` from the two fields of the warning it reads (the KPIs' column-wise read)."""
        arrival = datetime.combine(expected_arrival, sent_at.timetz())
        return max(sent_at, arrival) + timedelta(days=self.feedback_days.get(legal_basis, 30))

    def feedback_escalation(self, sent_at: datetime, warning: ReferralWarning) -> datetime:
        return self.feedback_due(sent_at, warning) + timedelta(days=self.feedback_escalation_days)


@dataclass(frozen=True)
class Event:
    """One step of a referral, as the audit log keeps it (no party data: ids, states, who, when, what)."""

    referral_id: str
    step: str
    from_state: str | None
    to_state: str
    by: str
    at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Referral:
    """A warning and where it stands. ``feedback`` is the history, the last entry the one in force."""

    warning: ReferralWarning
    state: str
    drafted_at: datetime
    sent_at: datetime | None = None
    received_at: datetime | None = None
    acknowledged_at: datetime | None = None
    feedback: tuple[Feedback, ...] = ()
    seizure_report: SeizureReport | None = None
    closed_at: datetime | None = None
    expired_at: datetime | None = None
    alerts: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        assert self.warning.id is not None  # draft() gives every referral its id
        return self.warning.id

    @property
    def current_feedback(self) -> Feedback | None:
        return self.feedback[-1] if self.feedback else None

    @property
    def first_feedback_at(self) -> datetime | None:
        return self.feedback[0].at if self.feedback else None


def _step(ref: Referral, step: str, to: str, by: str, at: datetime, **changes: Any) -> tuple[Referral, Event]:
    details = changes.pop("details", {})
    return replace(ref, state=to, **changes), Event(ref.id, step, ref.state, to, by, at, details)


def _act(actor: Actor, step: str, ref: Referral) -> None:
    require(actor, step, ref.id, ref.warning.sending_port, ref.warning.receiving_port)


def draft(warning: ReferralWarning, actor: Actor, at: datetime) -> tuple[Referral, Event]:
    """A new referral from ``warning`` (given an id when it has none)."""
    if warning.id is None:
        warning = warning.model_copy(update={"id": str(uuid.uuid4())})
    ref = Referral(warning, DRAFTED, at)
    require(actor, "draft", ref.id, warning.sending_port, warning.receiving_port)
    return ref, Event(ref.id, "draft", None, DRAFTED, actor.name, at, {})


def send(ref: Referral, actor: Actor, at: datetime) -> tuple[Referral, Event]:
    _act(actor, "send", ref)
    if ref.state != DRAFTED:
        raise StepOutOfOrder(ref.id, ref.state, "send", "it was sent already")
    if at.date() > ref.warning.expiry:
        raise StepOutOfOrder(ref.id, ref.state, "send", f"its expiry {ref.warning.expiry} has passed")
    return _step(ref, "send", SENT, actor.name, at, sent_at=at)


def receive(ref: Referral, at: datetime) -> tuple[Referral, Event]:
    """The receiving node has the warning (the channel's receipt). Receiving twice changes nothing."""
    if ref.state not in (SENT, RECEIVED):
        raise StepOutOfOrder(ref.id, ref.state, "receive", "only a sent referral is received")
    if ref.state == RECEIVED:
        return ref, Event(ref.id, "receive", RECEIVED, RECEIVED, SYSTEM, at, {"repeat": True})
    return _step(ref, "receive", RECEIVED, SYSTEM, at, received_at=at)


def incoming(warning: ReferralWarning, sent_at: datetime, at: datetime) -> tuple[Referral, Event]:
    """A warning that arrived at the receiving node: a referral received now, sent at ``sent_at``."""
    if warning.id is None:
        raise StepOutOfOrder("(no id)", "none", "receive", "a warning that travels has its id")
    ref = Referral(warning, SENT, sent_at, sent_at=sent_at)
    return receive(ref, at)


def refused(ref: Referral, reason: str, at: datetime) -> tuple[Referral, Event]:
    """The receiving node refused the warning for good (its checks failed there, e.g. a port it does not
    know, or expired on the way): back to drafted, to be corrected and sent again; the reason is kept."""
    if ref.state != SENT:
        raise StepOutOfOrder(ref.id, ref.state, "refuse", "only a referral sent and not received is refused")
    return _step(ref, "refuse", DRAFTED, SYSTEM, at, sent_at=None, details={"reason": reason[:500]})


def acknowledge(ref: Referral, actor: Actor, at: datetime, note: str | None = None) -> tuple[Referral, Event]:
    """An officer of the receiving port has seen the warning (a receipt not yet recorded is implied)."""
    _act(actor, "acknowledge", ref)
    if ref.state not in (SENT, RECEIVED):
        reason = "not sent yet" if ref.state == DRAFTED else "it was acknowledged already"
        if ref.state in (CLOSED, EXPIRED):
            reason = f"it is {ref.state}"
        raise StepOutOfOrder(ref.id, ref.state, "acknowledge", reason)
    details = {"note": note} if note else {}
    return _step(
        ref, "acknowledge", ACKNOWLEDGED, actor.name, at,
        received_at=ref.received_at or at, acknowledged_at=at, details=details,
    )  # fmt: skip


def give_feedback(ref: Referral, actor: Actor, feedback: Feedback) -> tuple[Referral, Event]:
    """What the receiving port did and found; a second feedback amends (the first stays in the history).

    Feedback on an expired referral is taken (late, or crossing the expiry on its way between the nodes):
    the goods were controlled after all, the expiry stays in the history and the referral has feedback."""
    _act(actor, "feedback", ref)
    if feedback.referral_id != ref.id:
        reason = f"the feedback is for {feedback.referral_id}"
        raise StepOutOfOrder(ref.id, ref.state, "give feedback", reason)
    if ref.state in (DRAFTED, CLOSED):
        reason = "not sent yet" if ref.state == DRAFTED else f"it is {ref.state}"
        raise StepOutOfOrder(ref.id, ref.state, "give feedback", reason)
    at = feedback.at
    details = {"result": feedback.result, **({"amends": len(ref.feedback)} if ref.feedback else {})}
    return _step(
        ref, "feedback", FEEDBACK_GIVEN, actor.name, at,
        received_at=ref.received_at or at, acknowledged_at=ref.acknowledged_at or at,
        feedback=(*ref.feedback, feedback), details=details,
    )  # fmt: skip


def report_seizure(
    ref: Referral, actor: Actor, report: SeizureReport, at: datetime
) -> tuple[Referral, Event]:
    """The optional seizure report, after feedback that the goods were seized."""
    _act(actor, "feedback", ref)
    current = ref.current_feedback
    if ref.state != FEEDBACK_GIVEN or current is None or current.result != "seized":
        reason = "the feedback in force is not a seizure"
        raise StepOutOfOrder(ref.id, ref.state, "report a seizure of", reason)
    # the report in its event too: the referral keeps the last, the history each (to send any one again)
    details = {"seizure_report": report.model_dump(mode="json", exclude_none=True)}
    return _step(
        ref, "seizure_report", FEEDBACK_GIVEN, actor.name, at, seizure_report=report, details=details
    )


def close(ref: Referral, actor: Actor, at: datetime) -> tuple[Referral, Event]:
    """The sending side closes a referral whose feedback it has read."""
    _act(actor, "close", ref)
    if ref.state != FEEDBACK_GIVEN:
        reason = "it has no feedback yet (without feedback it expires)"
        if ref.state in (CLOSED, EXPIRED):
            reason = f"it is {ref.state} already"
        raise StepOutOfOrder(ref.id, ref.state, "close", reason)
    return _step(ref, "close", CLOSED, actor.name, at, closed_at=at)


def _due_alerts(ref: Referral, at: datetime, deadlines: Deadlines) -> list[tuple[str, str]]:
    """(alert code, to whom) due at ``at`` and not raised yet."""
    if ref.sent_at is None or ref.state not in OPEN:
        return []
    sent, warning = ref.sent_at, ref.warning
    times = [
        ("feedback_reminder", "port", deadlines.feedback_due(sent, warning)),
        ("feedback_escalation", "coordinator", deadlines.feedback_escalation(sent, warning)),
    ]
    if ref.acknowledged_at is None:
        times[:0] = [
            ("ack_reminder", "port", deadlines.ack_due(sent)),
            ("ack_escalation", "coordinator", deadlines.ack_escalation(sent)),
        ]
    return [(code, to) for code, to, when in times if at >= when and code not in ref.alerts]


def expires_at(ref: Referral, deadlines: Deadlines) -> datetime | None:
    """When an open referral without feedback expires: the day after its expiry date, and not before its
    feedback escalation (the port had its reminder and the coordinator was told)."""
    if ref.sent_at is None:
        return None
    after_expiry = datetime.combine(ref.warning.expiry + timedelta(days=1), time(), ref.sent_at.tzinfo)
    return max(after_expiry, deadlines.feedback_escalation(ref.sent_at, ref.warning))


#: alert code -> the step that raises it ("remind" the port, "escalate" to the coordinator)
ALERT_STEPS = {
    "ack_reminder": "remind",
    "ack_escalation": "escalate",
    "feedback_reminder": "remind",
    "feedback_escalation": "escalate",
}


def raise_alert(ref: Referral, code: str, at: datetime, by: str = SYSTEM) -> tuple[Referral, Event]:
    """Record the reminder or escalation ``code`` on an open referral (raised once)."""
    if code not in ALERT_STEPS:
        raise StepOutOfOrder(
            ref.id, ref.state, "raise", f"{code!r} is not an alert ({', '.join(ALERT_STEPS)})"
        )
    if ref.state not in OPEN or code in ref.alerts:
        reason = f"{code} was raised already" if code in ref.alerts else "only an open referral has alerts"
        raise StepOutOfOrder(ref.id, ref.state, ALERT_STEPS[code], reason)
    alerts = (*ref.alerts, code)
    return _step(ref, ALERT_STEPS[code], ref.state, by, at, alerts=alerts, details={"alert": code})


def expire(ref: Referral, at: datetime, by: str = SYSTEM) -> tuple[Referral, Event]:
    """The goods can no longer arrive: an open referral without feedback expires."""
    if ref.state not in OPEN:
        raise StepOutOfOrder(ref.id, ref.state, "expire", "only an open referral expires")
    return _step(ref, "expire", EXPIRED, by, at, expired_at=at)


def clock_step_received(
    ref: Referral, step: str, at: datetime, by: str, alert: str | None = None
) -> tuple[Referral, Event]:
    """A step of the sending node's clock (the reminder or escalation ``alert``, or the expiry), arrived at
    the receiving node. When feedback was given here meanwhile (the two crossed on the way: the sending node
    ticks only open referrals), the step is recorded and the state stays: the feedback stands, and re-opens
    the referral at the sending node too (:func:`give_feedback`), so both copies end the same."""
    if ref.state != FEEDBACK_GIVEN:
        return raise_alert(ref, alert, at, by=by) if alert is not None else expire(ref, at, by=by)
    details = {"crossed": "feedback"} | ({"alert": alert} if alert is not None else {})
    alerts = (*ref.alerts, alert) if alert is not None else ref.alerts
    return _step(ref, step, FEEDBACK_GIVEN, by, at, alerts=alerts, details=details)


def tick(ref: Referral, at: datetime, deadlines: Deadlines | None = None) -> tuple[Referral, list[Event]]:
    """Raise the reminders and escalations due at ``at``, then expire the referral if its time is over."""
    deadlines = deadlines or Deadlines()
    events = []
    for code, _to in _due_alerts(ref, at, deadlines):
        ref, event = raise_alert(ref, code, at)
        events.append(event)
    end = expires_at(ref, deadlines)
    if ref.state in OPEN and end is not None and at >= end:
        ref, event = expire(ref, at)
        events.append(event)
    return ref, events


def summary(ref: Referral) -> dict[str, Any]:
    """The referral as JSON-ready fields (the warning and feedback documents included)."""
    return {
        "id": ref.id,
        "state": ref.state,
        "warning": to_json(ref.warning),
        "drafted_at": ref.drafted_at.isoformat(),
        **{
            name: getattr(ref, name).isoformat() if getattr(ref, name) else None
            for name in ("sent_at", "received_at", "acknowledged_at", "closed_at", "expired_at")
        },
        "feedback": [to_json(f) for f in ref.feedback],
        "seizure_report": to_json(ref.seizure_report) if ref.seizure_report else None,
        "alerts": list(ref.alerts),
    }
