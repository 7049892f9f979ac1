"""The referral figures of the pages (the inbox, the state of play, the Overview's sums), kept between
requests while no referral changed: a request reads the referrals' change stamp (one small query) and, when
the figures kept for that stamp are there, shows them without reading a referral or computing anything.

The stamp is what every write of what the figures are made of changes (a new referral adds a row and its
first event; a step of :class:`~iprisk.store.ReferralStore` bumps the row's version and adds its events;
nothing deletes either; the outbox key and attachments a sending node keeps are in no figure): the number of
events and the last event's id, the number of referrals and the sum of their versions. It is read *before*
the figures, so figures kept under a stamp are never older than it: a write that lands in between gives the
next request another stamp, and the figures are computed again.

Time changes two figures without a write: whether a referral is overdue. The inbox keeps each referral's
deadlines and marks the overdue ones at the request's clock; a KPI table (``overdue_now``) is kept only until
the first deadline of an open referral passes. The kept figures are the API's own: the inbox is
:func:`~iprisk.node.referrals.referral_list` for the viewer's visibility (role, side, ports), the KPIs are
:func:`~iprisk.referrals.kpis` of the store's ``kpi_rows`` (:func:`~iprisk.referrals.referral_rows`), as
:func:`~iprisk.node.referrals.kpi_table` computes them (a test checks both equal the computation from
scratch after every step of a random sequence).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, func, select

from iprisk.formats.referrals import read_warning
from iprisk.node import Node
from iprisk.node.referrals import referral_list
from iprisk.referrals import Actor, Deadlines, kpi_sides, kpis, rows_of_sides
from iprisk.referrals.lifecycle import OPEN
from iprisk.store import ReferralStore
from iprisk.store.referrals import ReferralEventRow, ReferralRow

Stamp = tuple[int, ...]
_FOREVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """A referral of an inbox: its summary (the API's) and its deadlines (None before it is sent)."""

    summary: Mapping[str, Any]
    ack_due: datetime | None
    feedback_due: datetime | None


@dataclass(frozen=True)
class _KeptKpis:
    table: pa.Table
    since: datetime  # the clock when it was computed
    until: datetime  # the first deadline of an open referral after ``since``: overdue_now changes then


@dataclass
class _Kept:
    """The figures of one stamp of one database."""

    stamp: Stamp
    rows: pa.Table | None = None
    inboxes: dict[tuple[Any, ...], list[Entry]] = field(default_factory=dict)
    kpis: dict[tuple[Any, ...], _KeptKpis] = field(default_factory=dict)
    computed: int = 0  # how many figures were computed (not read): the tests see what was kept


_KEPT: weakref.WeakKeyDictionary[Engine, _Kept] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def change_stamp(engine: Engine) -> Stamp:
    """What every write of the referrals changes (the events' count and last id, the referrals' count and
    the sum of their versions)."""
    query = select(
        select(func.count(ReferralEventRow.event_id)).scalar_subquery(),
        select(func.coalesce(func.max(ReferralEventRow.event_id), 0)).scalar_subquery(),
        select(func.count(ReferralRow.id)).scalar_subquery(),
        select(func.coalesce(func.sum(ReferralRow.version), 0)).scalar_subquery(),
    )
    with engine.connect() as connection:
        return tuple(int(v) for v in connection.execute(query).one())


def kept(node: Node) -> _Kept:
    """The figures kept for the referrals as they are now (a new, empty set when any changed)."""
    stamp = change_stamp(node.engine)
    with _LOCK:
        found = _KEPT.get(node.engine)
        if found is None or found.stamp != stamp:
            found = _KEPT[node.engine] = _Kept(stamp)
        return found


def _visibility(principal: Actor) -> tuple[str, str, frozenset[str]]:
    """What decides which referrals a viewer sees (``iprisk.referrals.may_see``)."""
    return str(principal.role), principal.administration, frozenset(principal.ports)


def inbox(node: Node, principal: Actor, states: Collection[str] | None) -> list[Entry]:
    """:func:`~iprisk.node.referrals.referral_list` of the viewer (oldest first) with each one's deadlines."""
    figures = kept(node)
    key = (_visibility(principal), tuple(states) if states is not None else None)
    found = figures.inboxes.get(key)
    if found is None:
        deadlines = Deadlines.from_settings(node.settings)
        listed = referral_list(node, principal, list(states) if states is not None else None)
        found = figures.inboxes[key] = [entry(s, deadlines) for s in listed]
        figures.computed += 1
    return found


def entry(summary: Mapping[str, Any], deadlines: Deadlines) -> Entry:
    """A referral's summary with its deadlines (the node's :class:`~iprisk.referrals.Deadlines`)."""
    sent = summary["sent_at"]
    if sent is None:
        return Entry(summary, None, None)
    sent_at = datetime.fromisoformat(sent)
    return Entry(
        summary, deadlines.ack_due(sent_at), deadlines.feedback_due(sent_at, read_warning(summary["warning"]))
    )


def kpi_table(node: Node, principal: Actor, quarter: str | None) -> pa.Table:
    """:func:`~iprisk.node.referrals.kpi_table`: the KPIs the viewer may read (refused as it refuses)."""
    sides = kpi_sides(principal)
    now = node.clock.now()
    figures = kept(node)
    key = (sides, quarter)
    found = figures.kpis.get(key)
    if found is not None and found.since <= now <= found.until:
        return found.table
    if figures.rows is None:
        store = node.referrals if node.referrals is not None else ReferralStore(node.engine)
        figures.rows = store.kpi_rows(Deadlines.from_settings(node.settings))
    table = kpis(rows_of_sides(figures.rows, sides), now=now, quarter=quarter)
    figures.kpis[key] = _KeptKpis(table, now, next_deadline(figures.rows, now))
    figures.computed += 1
    return table


def next_deadline(rows: pa.Table, now: datetime) -> datetime:
    """The first deadline not yet past at ``now`` whose passing makes an open referral overdue (the KPIs'
    ``overdue_now`` rule: not acknowledged by ``ack_due``, no feedback by ``feedback_due``)."""
    due = [
        deadline
        for r in rows.select(
            ["state", "acknowledged_at", "ack_due", "first_feedback_at", "feedback_due"]
        ).to_pylist()
        if r["state"] in OPEN
        for done, deadline in (
            (r["acknowledged_at"], r["ack_due"]),
            (r["first_feedback_at"], r["feedback_due"]),
        )
        if done is None and deadline >= now
    ]
    return min(due, default=_FOREVER)


def forget(node: Node) -> None:
    """Drop what is kept for the node's database: the next request computes every figure afresh."""
    with _LOCK:
        _KEPT.pop(node.engine, None)
