"""Referrals between key ports, every step of their lifecycle, and the network of key ports.

A step is applied by :meth:`ReferralStore.step`: the referral is read, the pure lifecycle function
(:mod:`iprisk.referrals.lifecycle`) makes the new state and its events, and the row and the events are
written in one transaction, guarded by the row's version (a concurrent step makes this one fail cleanly,
nothing half-written). Receiving a warning twice stores it once, so a retried delivery applies nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CursorResult,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from iprisk.errors import NotFound
from iprisk.formats.referrals import read_feedback, read_seizure_report, read_warning, to_json
from iprisk.referrals.errors import StepOutOfOrder
from iprisk.referrals.lifecycle import Event, Referral
from iprisk.referrals.network import KeyPort, PortNetwork, default_network
from iprisk.settings import get_settings
from iprisk.store.audit import AuditTrail
from iprisk.store.db import Base, connect, utc

#: Event details that go to the node's audit log too (never free text: a note may name people).
_AUDITED = ("result", "amends", "alert", "repeat")


class ReferralRow(Base):
    """A referral where it stands: the warning, its times, the feedback history."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_ports", "sending_port", "receiving_port"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sending_port: Mapped[str] = mapped_column(String(5))
    receiving_port: Mapped[str] = mapped_column(String(5))
    state: Mapped[str] = mapped_column(String(16), index=True)
    warning: Mapped[dict[str, Any]] = mapped_column(JSON)
    drafted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    feedback: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    seizure_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    alerts: Mapped[list[str]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)


class ReferralEventRow(Base):
    """One step of a referral: the audit trail of the lifecycle (no party data)."""

    __tablename__ = "referral_events"
    __table_args__ = (Index("ix_referral_events_referral", "referral_id"),)

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(String(36))
    step: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class NetworkPortRow(Base):
    """A port of the network of key ports, and who last changed it."""

    __tablename__ = "referral_ports"

    locode: Mapped[str] = mapped_column(String(5), primary_key=True)
    side: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(8))
    contact_unit: Mapped[str] = mapped_column(String(200))
    pilot: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _time(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _referral(row: ReferralRow) -> Referral:
    return Referral(
        warning=read_warning(row.warning, source=f"referral {row.id}"),
        state=row.state,
        drafted_at=utc(row.drafted_at),
        sent_at=_time(row.sent_at),
        received_at=_time(row.received_at),
        acknowledged_at=_time(row.acknowledged_at),
        feedback=tuple(read_feedback(f) for f in row.feedback),
        seizure_report=read_seizure_report(row.seizure_report) if row.seizure_report else None,
        closed_at=_time(row.closed_at),
        expired_at=_time(row.expired_at),
        alerts=tuple(row.alerts),
    )


def _fields(ref: Referral) -> dict[str, Any]:
    return {
        "state": ref.state,
        "sent_at": ref.sent_at,
        "received_at": ref.received_at,
        "acknowledged_at": ref.acknowledged_at,
        "closed_at": ref.closed_at,
        "expired_at": ref.expired_at,
        "feedback": [to_json(f) for f in ref.feedback],
        "seizure_report": to_json(ref.seizure_report) if ref.seizure_report else None,
        "alerts": list(ref.alerts),
    }


def _event_row(event: Event) -> ReferralEventRow:
    return ReferralEventRow(
        referral_id=event.referral_id, step=event.step, from_state=event.from_state, to_state=event.to_state,
        by=event.by, at=event.at, details=dict(event.details),
    )  # fmt: skip


class ReferralStore:
    """Referrals and the port network in a SQL database (``settings.database`` by default), migrated."""

    def __init__(self, url: str | Engine | None = None, *, audit: AuditTrail | None = None):
        self.engine = url if isinstance(url, Engine) else connect(url or get_settings().database)
        #: the node's signed audit log: every step is also an entry of it, in the step's transaction
        self.audit = audit

    def _record(self, session: Session, events: Iterable[Event]) -> None:
        for e in events:
            session.add(_event_row(e))
            if self.audit is not None:
                details = {"from": e.from_state, "to": e.to_state} | {
                    k: v for k, v in e.details.items() if k in _AUDITED
                }
                self.audit.record(session, f"referral.{e.step}", e.by, e.referral_id, details)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ReferralStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- referrals -------------------------------------------------------------------------------------------
    def add(self, ref: Referral, event: Event) -> Referral:
        """Store a new referral (drafted, or received from the other node) with its first event.

        A referral whose id is stored already is left as it is and returned: a repeated delivery is a no-op.
        """
        with Session(self.engine) as session, session.begin():
            existing = session.get(ReferralRow, ref.id)
            if existing is not None:
                return _referral(existing)
            w = ref.warning
            session.add(
                ReferralRow(
                    id=ref.id, sending_port=w.sending_port, receiving_port=w.receiving_port,
                    warning=to_json(w), drafted_at=ref.drafted_at, version=1, **_fields(ref),
                )
            )  # fmt: skip
            session.flush()
            self._record(session, [event])
        return ref

    def get(self, referral_id: str) -> Referral:
        with Session(self.engine) as session:
            row = session.get(ReferralRow, referral_id)
            if row is None:
                raise NotFound("referral", referral_id)
            return _referral(row)

    def step(
        self, referral_id: str, make: Callable[[Referral], tuple[Referral, Event | list[Event]]]
    ) -> Referral:
        """Apply a lifecycle step: ``make`` turns the stored referral into the new one and its event(s)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(ReferralRow, referral_id, with_for_update=True)
            if row is None:
                raise NotFound("referral", referral_id)
            ref, made = make(_referral(row))
            events = made if isinstance(made, list) else [made]
            if not events:
                return ref
            done = session.execute(
                update(ReferralRow)
                .where(ReferralRow.id == referral_id, ReferralRow.version == row.version)
                .values(version=row.version + 1, **_fields(ref))
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], done).rowcount != 1:
                raise StepOutOfOrder(referral_id, ref.state, events[0].step, "it changed meanwhile; retry")
            self._record(session, events)
        return ref

    def referrals(
        self, *, states: Iterable[str] | None = None, ports: Iterable[str] | None = None
    ) -> list[Referral]:
        """Referrals, oldest draft first; only those in ``states`` / touching one of ``ports`` when given."""
        query = select(ReferralRow).order_by(ReferralRow.drafted_at, ReferralRow.id)
        if states is not None:
            query = query.where(ReferralRow.state.in_(list(states)))
        if ports is not None:
            wanted = list(ports)
            query = query.where(ReferralRow.sending_port.in_(wanted) | ReferralRow.receiving_port.in_(wanted))
        with Session(self.engine) as session:
            return [_referral(row) for row in session.scalars(query)]

    def events(self, referral_id: str) -> list[Event]:
        query = select(ReferralEventRow).where(ReferralEventRow.referral_id == referral_id)
        with Session(self.engine) as session:
            return [
                Event(r.referral_id, r.step, r.from_state, r.to_state, r.by, utc(r.at), r.details)
                for r in session.scalars(query.order_by(ReferralEventRow.event_id))
            ]

    # -- the network of key ports ----------------------------------------------------------------------------
    def network(self) -> PortNetwork:
        """The network as edited by the coordinator; the default network until the first edit."""
        with Session(self.engine) as session:
            rows = list(session.scalars(select(NetworkPortRow).order_by(NetworkPortRow.locode)))
        if not rows:
            return default_network()
        return PortNetwork(KeyPort(r.locode, r.side, r.kind, r.contact_unit, r.pilot) for r in rows)

    def save_network(self, network: PortNetwork, *, by: str) -> None:
        """Replace the stored network with ``network`` (one transaction)."""
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(NetworkPortRow))
            session.add_all(
                NetworkPortRow(
                    locode=p.locode, side=p.side, kind=p.kind, contact_unit=p.contact_unit, pilot=p.pilot,
                    updated_by=by, updated_at=now,
                )
                for p in network.values()
            )  # fmt: skip
