"""What the referral pages show: the inbox, one referral with its history and deadlines, the state of play.

Each view makes the API route's own call (:mod:`iprisk.node.referrals`: ``referral_list``,
``referral_detail``, ``take_step``, ``kpi_table``), so the pages see exactly what the API lets the caller see
(a port officer: the referrals of their ports) and inherit whatever those calls add. Deadlines come from the
library's :class:`~iprisk.referrals.Deadlines` with the node's settings; overdue at the node's clock. The
inbox and the KPIs are kept between requests while no referral changes (:mod:`.referral_kept`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iprisk.accounts import Principal
from iprisk.errors import IpriskError
from iprisk.i18n import N_
from iprisk.node import Node
from iprisk.referrals import Deadlines, NotPermitted
from iprisk.referrals.lifecycle import ACKNOWLEDGED, DRAFTED, FEEDBACK_GIVEN, OPEN, RECEIVED, SENT
from iprisk.referrals.permissions import require
from iprisk.web.dashboard import referral_kept
from iprisk.web.dashboard.tables import Table, api_url, columns

#: The states a page filters the inbox by (the lifecycle's, in order).
STATES = (DRAFTED, SENT, RECEIVED, ACKNOWLEDGED, FEEDBACK_GIVEN, "closed", "expired")
#: The steps a form or a button of the detail page takes, and the states each is offered in.
STEP_STATES: dict[str, frozenset[str]] = {
    "send": frozenset({DRAFTED}),
    "acknowledge": frozenset({SENT, RECEIVED}),
    "feedback": frozenset({SENT, RECEIVED, ACKNOWLEDGED, FEEDBACK_GIVEN}),
    "close": frozenset({FEEDBACK_GIVEN}),
}
ACK_OVERDUE, FEEDBACK_OVERDUE = "acknowledgement overdue", "feedback overdue"
#: The history's steps (the lifecycle's event names) as people read them.
STEP_LABELS = {
    "draft": N_("drafted"), "send": N_("sent"), "receive": N_("received"), "acknowledge": N_("acknowledged"),
    "feedback": N_("feedback given"), "seizure_report": N_("seizure reported"), "close": N_("closed"),
    "remind": N_("reminder"), "escalate": N_("escalated"), "expire": N_("expired"),
}  # fmt: skip


@dataclass(frozen=True)
class Due:
    """A referral's deadlines and what is overdue at ``now`` (empty when nothing is)."""

    ack_due: datetime | None
    feedback_due: datetime | None
    overdue: str

    @classmethod
    def of(cls, summary: Mapping[str, Any], deadlines: Deadlines, now: datetime) -> Due:
        return cls.at(referral_kept.entry(summary, deadlines), now)

    @classmethod
    def at(cls, entry: referral_kept.Entry, now: datetime) -> Due:
        """The deadlines of an inbox entry, and what of them is past at ``now``."""
        summary, ack_due, feedback_due = entry.summary, entry.ack_due, entry.feedback_due
        overdue = ""
        if ack_due is not None and feedback_due is not None and summary["state"] in OPEN:
            if summary["acknowledged_at"] is None and ack_due < now:
                overdue = ACK_OVERDUE
            elif not summary["feedback"] and feedback_due < now:
                overdue = FEEDBACK_OVERDUE
        return cls(ack_due, feedback_due, overdue)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


_INBOX_COLUMNS = (("referral", "name"), ("state", "code"), ("sending_port", "port"),
                  ("receiving_port", "port"), ("expected_arrival", "date"), ("ack_due", "datetime"),
                  ("feedback_due", "datetime"), ("overdue", "message"))  # fmt: skip


def inbox(node: Node, principal: Principal, state: str | None) -> Table:
    """The referrals the caller may see (``GET /referrals``), newest first, deadlines, overdue marks (kept
    while no referral changes: :mod:`~iprisk.web.dashboard.referral_kept`)."""
    entries = referral_kept.inbox(node, principal, [state] if state else None)
    now = node.clock.now()
    rows, marks = [], []
    for entry in reversed(entries):
        due, s = Due.at(entry, now), entry.summary
        w = s["warning"]
        rows.append([s["id"], s["state"], w["sending_port"], w["receiving_port"], w["expected_arrival"],
                     _iso(due.ack_due), _iso(due.feedback_due), due.overdue])  # fmt: skip
        marks.append("overdue" if due.overdue else "")
    row_api = [f"/referrals/{r[0]}" for r in rows]
    links = [f"/ui/referrals/{r[0]}" for r in rows]
    api = api_url("/referrals", {"state": state})
    return Table(columns(_INBOX_COLUMNS), rows, len(rows), api, row_api, links, marks)


def deadlines_of(node: Node, summary: Mapping[str, Any]) -> Due:
    return Due.of(summary, Deadlines.from_settings(node.settings), node.clock.now())


def steps_allowed(principal: Principal, summary: Mapping[str, Any], may_act: bool) -> list[str]:
    """The steps the caller may take on this referral now: the table lets them act (``may_act``), the
    library's own rule lets them act on its ports (:func:`iprisk.referrals.permissions.require`), and the
    referral's state admits the step."""
    if not may_act:
        return []
    w = summary["warning"]
    allowed = []
    for step, states in STEP_STATES.items():
        if summary["state"] not in states:
            continue
        try:
            require(principal, step, summary["id"], w["sending_port"], w["receiving_port"])
        except NotPermitted:
            continue
        allowed.append(step)
    return allowed


def kpis(node: Node, principal: Principal, quarter: str | None) -> Table:
    """The state of play per quarter and port pair (``GET /referrals/kpis``; kept while nothing changes)."""
    table = referral_kept.kpi_table(node, principal, quarter)
    spec = [("quarter", "quarter"), ("sending_port", "port"), ("receiving_port", "port")]
    spec += [(name, _KPI_KINDS.get(name, "int")) for name in table.column_names[3:]]
    cols = columns(spec)
    rows = [[row[c.key] for c in cols] for row in table.to_pylist()]
    row_api = [api_url("/referrals/kpis", {"quarter": r[0]}) for r in rows]
    links = [api_url("/ui/referrals/kpis", {"quarter": r[0]}) for r in rows]
    return Table(cols, rows, len(rows), api_url("/referrals/kpis", {"quarter": quarter}), row_api, links)


_KPI_KINDS = {
    "ack_median_hours": "float", "ack_p90_hours": "float", "ack_in_time_share": "ratio",
    "feedback_in_time_share": "ratio", "hit_rate": "ratio", "value_seized_eur": "int",
}  # fmt: skip


@dataclass(frozen=True)
class Headline:
    """The Overview's referral figures: over every quarter and port pair the viewer may read."""

    sent: int
    acknowledged: int
    ack_in_time: float | None
    feedback_in_time: float | None
    hit_rate: float | None
    overdue: int


def headline(node: Node, principal: Principal) -> Headline | None:
    """The KPIs summed over port pairs (shares weighted by referrals sent); None when there is none."""
    rows = referral_kept.kpi_table(node, principal, None).to_pylist()
    sent = sum(r["sent"] for r in rows)
    if not sent:
        return None
    controlled = sum(r["controlled"] for r in rows)

    def weighted(key: str) -> float:
        return sum(r[key] * r["sent"] for r in rows) / sent

    return Headline(
        sent, sum(r["acknowledged"] for r in rows), weighted("ack_in_time_share"),
        weighted("feedback_in_time_share"),
        sum(r["seized"] for r in rows) / controlled if controlled else None,
        sum(r["overdue_now"] for r in rows),
    )  # fmt: skip


def open_counts(node: Node, principal: Principal) -> tuple[int, int] | None:
    """(open, overdue) referrals of a port officer's inbox, for the Overview; None when it fails."""
    try:
        table = inbox(node, principal, None)
    except IpriskError:
        return None
    open_rows = [r for r in table.rows if r[1] in OPEN]
    return len(open_rows), sum(1 for r in open_rows if r[7])
