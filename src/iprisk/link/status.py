"""What the channel holds, for people: the message log (both directions), counts by state, one message's
attempts. ``iprisk exchange status`` prints it; the metrics read the counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, literal, select, union_all

from iprisk.exchange import STATUSES
from iprisk.store.channel import AttemptRow, IncomingRow, OutgoingRow, RefusalRow
from iprisk.store.db import utc

if TYPE_CHECKING:
    from iprisk.link.context import Link


@dataclass(frozen=True)
class LoggedMessage:
    """One message as the log shows it (never its payload)."""

    id: str
    direction: Literal["out", "in"]
    kind: str
    peer: str
    state: str  # out: queued, sent, received, failed, expired; in: accepted, refused
    at: datetime  # out: created; in: received
    attempts: int
    reason: str | None


def message_log(
    link: Link, *, state: str | None = None, kind: str | None = None, limit: int = 50
) -> list[LoggedMessage]:
    """The newest messages first, both directions, optionally of one state or kind."""
    out = select(
        OutgoingRow.id,
        literal("out").label("direction"),
        OutgoingRow.kind,
        OutgoingRow.recipient.label("peer"),
        OutgoingRow.status.label("state"),
        OutgoingRow.created.label("at"),
        OutgoingRow.attempts,
        OutgoingRow.reason,
    )
    inc = select(
        IncomingRow.id,
        literal("in").label("direction"),
        IncomingRow.kind,
        IncomingRow.sender.label("peer"),
        IncomingRow.outcome.label("state"),
        IncomingRow.received_at.label("at"),
        literal(1).label("attempts"),
        IncomingRow.reason,
    )
    both = union_all(out, inc).subquery()
    query = select(both)
    if state is not None:
        query = query.where(both.c.state == state)
    if kind is not None:
        query = query.where(both.c.kind == kind)
    query = query.order_by(both.c.at.desc(), both.c.id.desc()).limit(limit)
    with link.node.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        LoggedMessage(r.id, r.direction, r.kind, r.peer, r.state, utc(r.at), int(r.attempts), r.reason)
        for r in rows
    ]


@dataclass(frozen=True)
class ChannelCounts:
    outgoing: dict[str, int]  # by state, every state present
    incoming: dict[str, int]  # accepted, refused
    refused_unauthenticated: int
    retries: int  # attempts beyond the first, over every outgoing message

    @property
    def open(self) -> int:
        return self.outgoing["queued"] + self.outgoing["sent"]


def counts(link: Link) -> ChannelCounts:
    with link.node.engine.connect() as connection:
        by_status = select(OutgoingRow.status, func.count()).group_by(OutgoingRow.status)
        by_outcome = select(IncomingRow.outcome, func.count()).group_by(IncomingRow.outcome)
        out = {str(k): int(v) for k, v in connection.execute(by_status).all()}
        inc = {str(k): int(v) for k, v in connection.execute(by_outcome).all()}
        refused = connection.execute(select(func.count()).select_from(RefusalRow)).scalar() or 0
        retries = connection.execute(
            select(func.coalesce(func.sum(OutgoingRow.attempts - 1), 0)).where(OutgoingRow.attempts > 1)
        ).scalar()
    return ChannelCounts(
        {s: int(out.get(s, 0)) for s in STATUSES},
        {s: int(inc.get(s, 0)) for s in ("accepted", "refused")},
        int(refused),
        int(retries or 0),
    )


def attempts_of(link: Link, message_id: str) -> list[tuple[int, datetime, str, str | None]]:
    """One outgoing message's attempts: (number, when, result, detail)."""
    with link.node.engine.connect() as connection:
        rows = connection.execute(
            select(AttemptRow.number, AttemptRow.at, AttemptRow.result, AttemptRow.detail)
            .where(AttemptRow.message_id == message_id)
            .order_by(AttemptRow.seq)
        ).all()
    return [(int(n), utc(at), str(result), detail) for n, at, result, detail in rows]
