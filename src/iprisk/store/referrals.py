"""Referrals between key ports, every step of their lifecycle, and the network of key ports.

A step is applied by :meth:`ReferralStore.step`: the referral is read, the pure lifecycle function
(:mod:`iprisk.referrals.lifecycle`) makes the new state and its events, and the row and the events are
written in one transaction, guarded by the row's version (a concurrent step makes this one fail cleanly,
nothing half-written). Receiving a warning twice stores it once, so a retried delivery applies nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, cast

import pyarrow as pa
from sqlalchemy import (
    JSON,
    Boolean,
    CursorResult,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.util import identity_key

from iprisk.errors import NotFound
from iprisk.formats.referrals import (
    ReferralWarning,
    read_feedback,
    read_seizure_report,
    read_warning,
    to_json,
)
from iprisk.referrals.errors import StepOutOfOrder
from iprisk.referrals.kpis import KpiFacts, rows_of_facts
from iprisk.referrals.lifecycle import OPEN, Deadlines, Event, Referral, tick
from iprisk.referrals.network import KeyPort, PortNetwork, default_network, side_of
from iprisk.store._audited import AuditedStore
from iprisk.store.db import Base, utc

#: Hears every change inside its transaction (the referral as changed, its new events): at a node, the
#: channel queues the message that makes the other node take the same step, in that same transaction.
ChangeHook = Callable[[Session, Referral, list[Event]], None]
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
    #: at the sending node, the outbox key of the warning's newest message (its receipt is found by it)
    warning_key: Mapped[str | None] = mapped_column(String(255), nullable=True)


class ReferralAttachmentRow(Base):
    """At the sending node, the content of an attachment of a warning sent (to send the warning again)."""

    __tablename__ = "referral_attachments"

    referral_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


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


_SET_WARNING_KEY = (
    update(ReferralRow)
    .where(ReferralRow.id == bindparam("referral_id"))
    .values(warning_key=bindparam("key"))
    .execution_options(synchronize_session=False)
)


_REFERRALS = cast(Table, ReferralRow.__table__)
#: rows written with Core statements built once: an ORM object and its flush cost several times the insert
_ADD_REFERRAL = _REFERRALS.insert()
_ADD_EVENTS = cast(Table, ReferralEventRow.__table__).insert()
#: a step's guarded update, built once (building it per step cost more than running it); the new values are
#: its parameters, named after their columns
_STEP = _REFERRALS.update().where(
    _REFERRALS.c.id == bindparam("b_id"), _REFERRALS.c.version == bindparam("b_version")
)


_PORTS = cast(Table, NetworkPortRow.__table__)
#: the edited network, read at every draft and every warning received (plain rows, built once)
_NETWORK = select(_PORTS).order_by(_PORTS.c.locode)

#: a referral's row read as plain values (the ORM's identity map and loading cost more than the query)
_BY_ID = select(_REFERRALS).where(_REFERRALS.c.id == bindparam("id"))
_FOR_STEP = _BY_ID.with_for_update()


#: what the KPI rows need of every sent referral, in the order of :meth:`ReferralStore.referrals`
_KPI_FACTS = (
    select(
        _REFERRALS.c.id,
        _REFERRALS.c.sending_port,
        _REFERRALS.c.receiving_port,
        _REFERRALS.c.state,
        _REFERRALS.c.sent_at,
        _REFERRALS.c.received_at,
        _REFERRALS.c.acknowledged_at,
        _REFERRALS.c.warning["expected_arrival"].as_string().label("expected_arrival"),
        _REFERRALS.c.warning["legal_basis"].as_string().label("legal_basis"),
        _REFERRALS.c.feedback,
    )
    .where(_REFERRALS.c.sent_at.is_not(None))
    .order_by(_REFERRALS.c.drafted_at, _REFERRALS.c.id)
)


def _kpi_facts(row: Any) -> KpiFacts:
    """A row of :data:`_KPI_FACTS` as the KPIs' facts: the stored feedback (``to_json`` of each, validated
    when it was given) read for the first one's time and the result in force, as ``Feedback`` reads them."""
    first = last = None
    if row.feedback:
        first, last = row.feedback[0], row.feedback[-1]
    return KpiFacts(
        row.id, row.sending_port, row.receiving_port, row.state, utc(row.sent_at), _time(row.received_at),
        _time(row.acknowledged_at), date.fromisoformat(row.expected_arrival), row.legal_basis,
        datetime.fromisoformat(first["at"]).astimezone(UTC) if first else None,
        last["result"] if last else None,
        last.get("articles_detained", 0) if last else None,
        float(last["value_eur"]) if last and last.get("value_eur") is not None else None,
    )  # fmt: skip


def _time(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


@lru_cache(maxsize=4096)
def _warning(text: str, referral_id: str) -> ReferralWarning:
    """A stored warning read once (it does not change once drafted; the documents are frozen): every step
    reads its referral, and validating the warning again cost more than the rest of the reading."""
    return read_warning(json.loads(text), source=f"referral {referral_id}")


def _referral(row: Any) -> Referral:
    return Referral(
        warning=_warning(json.dumps(row.warning, sort_keys=True), row.id),
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


def _event_values(event: Event) -> dict[str, Any]:
    return {
        "referral_id": event.referral_id, "step": event.step, "from_state": event.from_state,
        "to_state": event.to_state, "by": event.by, "at": event.at, "details": dict(event.details),
    }  # fmt: skip


class ReferralStore(AuditedStore[ChangeHook]):
    """Referrals and the port network in a SQL database (``settings.database`` by default), migrated.

    Every method that writes or reads takes an optional ``session``: the caller's unit of work (the channel
    applies a step received from the other node in the transaction of its inbox), committed by the caller.
    """

    def _record(self, session: Session, ref: Referral, events: list[Event]) -> None:
        session.execute(_ADD_EVENTS, [_event_values(e) for e in events])
        for e in events:
            if self.audit is not None:
                details = {"from": e.from_state, "to": e.to_state} | {
                    k: v for k, v in e.details.items() if k in _AUDITED
                }
                self.audit.record(session, f"referral.{e.step}", e.by, e.referral_id, details)
        if self.on_change is not None:
            self.on_change(session, ref, events)

    # -- referrals -------------------------------------------------------------------------------------------
    def add(self, ref: Referral, event: Event, *, session: Session | None = None) -> Referral:
        """Store a new referral (drafted, or received from the other node) with its first event.

        A referral whose id is stored already is left as it is and returned: a repeated delivery is a no-op.
        """
        with self._unit(session) as unit:
            existing = unit.execute(_BY_ID, {"id": ref.id}).first()
            if existing is not None:
                return _referral(existing)
            w = ref.warning
            unit.execute(
                _ADD_REFERRAL,
                {"id": ref.id, "sending_port": w.sending_port, "receiving_port": w.receiving_port,
                 "warning": to_json(w), "drafted_at": ref.drafted_at, "version": 1, **_fields(ref)},
            )  # fmt: skip
            self._record(unit, ref, [event])
        return ref

    def get(self, referral_id: str, *, session: Session | None = None) -> Referral:
        with self._reading(session) as unit:
            row = unit.execute(_BY_ID, {"id": referral_id}).first()
            if row is None:
                raise NotFound("referral", referral_id)
            return _referral(row)

    def find(self, referral_id: str, *, session: Session | None = None) -> Referral | None:
        """The referral, or ``None`` when it is not stored here."""
        try:
            return self.get(referral_id, session=session)
        except NotFound:
            return None

    def step(
        self,
        referral_id: str,
        make: Callable[[Referral], tuple[Referral, Event | list[Event]]],
        *,
        session: Session | None = None,
    ) -> Referral:
        """Apply a lifecycle step: ``make`` turns the stored referral into the new one and its event(s)."""
        with self._unit(session) as unit:
            row = unit.execute(_FOR_STEP, {"id": referral_id}).first()
            if row is None:
                raise NotFound("referral", referral_id)
            ref, made = make(_referral(row))
            events = made if isinstance(made, list) else [made]
            if not events:
                return ref
            done = unit.execute(
                _STEP,
                {"b_id": referral_id, "b_version": row.version, "version": row.version + 1, **_fields(ref)},
            )
            if cast(CursorResult[Any], done).rowcount != 1:
                raise StepOutOfOrder(referral_id, ref.state, events[0].step, "it changed meanwhile; retry")
            loaded = unit.identity_map.get(identity_key(ReferralRow, referral_id))
            if loaded is not None:  # the caller's session loaded it: read it again if asked
                unit.expire(loaded)
            self._record(unit, ref, events)
        return ref

    def referrals(
        self,
        *,
        states: Iterable[str] | None = None,
        ports: Iterable[str] | None = None,
        session: Session | None = None,
    ) -> list[Referral]:
        """Referrals, oldest draft first; only those in ``states`` / touching one of ``ports`` when given."""
        c = _REFERRALS.c
        query = select(_REFERRALS).order_by(c.drafted_at, c.id)  # plain rows: no ORM object per referral
        if states is not None:
            query = query.where(c.state.in_(list(states)))
        if ports is not None:
            wanted = list(ports)
            query = query.where(c.sending_port.in_(wanted) | c.receiving_port.in_(wanted))
        with self._reading(session) as unit:
            return [_referral(row) for row in unit.execute(query)]

    def kpi_rows(self, deadlines: Deadlines | None = None, *, session: Session | None = None) -> pa.Table:
        """The KPIs' flat rows of the referrals sent (``referral_rows(self.referrals(), deadlines)``, the
        same table) read column-wise: only the columns the rows need, the warning's legal basis and expected
        arrival taken out of its JSON by the database, no document validated again (at 100,000 referrals
        the validation was nearly all of the KPIs' time)."""
        with self._reading(session) as unit:
            return rows_of_facts(map(_kpi_facts, unit.execute(_KPI_FACTS)), deadlines)

    def tick(self, at: datetime, deadlines: Deadlines, *, side: str | None = None) -> list[tuple[str, str]]:
        """Raise the reminders and escalations due at ``at`` and expire what is over, on every open referral
        (sent from ``side`` only, when given: at a node, the clock of a referral runs where it was sent);
        (referral id, alert code or ``expired``) for each step taken."""
        raised: list[tuple[str, str]] = []
        for ref in self.referrals(states=OPEN):
            if side is not None and side_of(ref.warning.sending_port) != side:
                continue

            def make(r: Referral) -> tuple[Referral, list[Event]]:
                new, events = tick(r, at, deadlines)
                raised.extend((r.id, str(e.details.get("alert", e.to_state))) for e in events)
                return new, events

            self.step(ref.id, make)
        return raised

    def watches(self, side: str | None = None) -> list[ReferralWarning]:
        """The warnings the ports watch for: those of open referrals (received at a port of ``side`` only,
        when given: at a node, the warnings it received, not those it sent)."""
        return [
            r.warning
            for r in self.referrals(states=OPEN)
            if side is None or side_of(r.warning.receiving_port) == side
        ]

    def events(self, referral_id: str, *, session: Session | None = None) -> list[Event]:
        query = select(ReferralEventRow).where(ReferralEventRow.referral_id == referral_id)
        with self._reading(session) as unit:
            return [
                Event(r.referral_id, r.step, r.from_state, r.to_state, r.by, utc(r.at), r.details)
                for r in unit.scalars(query.order_by(ReferralEventRow.event_id))
            ]

    def record_sending(
        self, referral_id: str, key: str, contents: Mapping[str, bytes] | None, *, session: Session
    ) -> None:
        """At the sending node, in the unit of work that queues the warning's message: its outbox ``key`` (the
        receipt is found by it) and, when given, the attachments' contents (replacing those of an earlier
        sending), kept to send the warning again."""
        session.execute(_SET_WARNING_KEY, {"referral_id": referral_id, "key": key})
        # a referral's warning, so its list of attachments, never changes: one without any has none stored
        if contents:
            session.execute(
                delete(ReferralAttachmentRow).where(ReferralAttachmentRow.referral_id == referral_id)
            )
            session.add_all(
                ReferralAttachmentRow(referral_id=referral_id, name=name, content=content)
                for name, content in contents.items()
            )

    def attachments(self, referral_id: str, *, session: Session | None = None) -> dict[str, bytes]:
        """The contents of the attachments of the warning sent from here (name -> bytes)."""
        query = select(ReferralAttachmentRow).where(ReferralAttachmentRow.referral_id == referral_id)
        with self._reading(session) as unit:
            return {row.name: row.content for row in unit.scalars(query)}

    # -- the network of key ports ----------------------------------------------------------------------------
    def network(self, *, session: Session | None = None) -> PortNetwork:
        """The network as edited by the coordinator; the default network until the first edit."""
        with self._reading(session) as unit:
            rows = list(unit.execute(_NETWORK))
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
