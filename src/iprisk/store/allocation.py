"""Allocation plans and joint operations in the operational store, with who made them and when.

A plan is kept whole: its headline figures (``Plan.summary()``) and one row per stratum, written in one
transaction (a crash leaves either the whole plan or nothing). An operation is kept as proposed (its
``as_dict()``); its evaluation is added to it later, with who evaluated it and when. Nothing is ever
overwritten: proposing the same name again makes a new operation, the latest of a name is the one used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, DateTime, Engine, Float, ForeignKey, Index, Integer, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from iprisk.errors import NotFound
from iprisk.settings import acting_user, get_settings
from iprisk.store.db import Base, connect, utc

if TYPE_CHECKING:  # the store reads the allocation's results; importing it would load the solvers
    from iprisk.allocation.operation import Operation, OperationEvaluation
    from iprisk.allocation.plan import Plan

#: Stratum figures kept with a plan (the keys are the stratum columns).
STRATUM_FIGURES = ("traffic", "status_quo", "planned", "rate", "expected", "expected_status_quo", "marginal")


class PlanRow(Base):
    """One allocation plan: its quarter, objective and headline figures."""

    __tablename__ = "allocation_plans"

    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    quarter: Mapped[str | None] = mapped_column(String(8), nullable=True)
    objective: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    made_by: Mapped[str] = mapped_column(String(128))
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanStratumRow(Base):
    """The controls a plan gives one stratum, and what it expects from them."""

    __tablename__ = "allocation_plan_strata"
    __table_args__ = (Index("ix_allocation_plan_strata_plan", "plan_id"),)

    plan_id: Mapped[int] = mapped_column(ForeignKey("allocation_plans.plan_id"), primary_key=True)
    office: Mapped[str] = mapped_column(String(16), primary_key=True)
    route: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_category: Mapped[str] = mapped_column(String(32), primary_key=True)
    traffic: Mapped[float] = mapped_column(Float)
    status_quo: Mapped[float] = mapped_column(Float)
    planned: Mapped[float] = mapped_column(Float)
    rate: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    expected_status_quo: Mapped[float] = mapped_column(Float)
    marginal: Mapped[float] = mapped_column(Float)


class OperationRow(Base):
    """A joint operation as proposed, and its evaluation once made."""

    __tablename__ = "operations"
    __table_args__ = (Index("ix_operations_name", "name"),)

    operation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    start: Mapped[str] = mapped_column(String(8))
    end: Mapped[str] = mapped_column(String(8))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposed_by: Mapped[str] = mapped_column(String(128))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    evaluated_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars become Python numbers, NaN and infinities ``None``."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


class AllocationStore:
    """Plans and operations in a SQL database (``settings.database`` by default), migrated on opening."""

    def __init__(self, url: str | Engine | None = None):
        self.engine = url if isinstance(url, Engine) else connect(url or get_settings().database)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> AllocationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plans -----------------------------------------------------------------------------------------------
    def save_plan(self, plan: Plan, *, by: str | None = None) -> int:
        """Store ``plan`` whole (one transaction); returns its id."""
        with Session(self.engine) as session, session.begin():
            row = PlanRow(
                quarter=plan.quarter,
                objective=plan.objective,
                summary=_plain(plan.summary()),
                made_by=acting_user(by),
                made_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            strata = plan.strata[["office", "route", "product_category", *STRATUM_FIGURES]]
            records: list[dict[str, Any]] = [
                {"plan_id": row.plan_id, **{str(k): _plain(v) for k, v in r.items()}}
                for r in strata.to_dict("records")
            ]
            if records:
                session.execute(insert(PlanStratumRow), records)
            return int(row.plan_id)

    def plans(self) -> pd.DataFrame:
        """Every stored plan, oldest first: id, quarter, objective, who and when, and its headline figures."""
        with Session(self.engine) as session:
            rows = session.scalars(select(PlanRow).order_by(PlanRow.plan_id)).all()
            own = ("quarter", "objective")
            return pd.DataFrame(
                [
                    {
                        "plan_id": r.plan_id,
                        "quarter": r.quarter,
                        "objective": r.objective,
                        "made_by": r.made_by,
                        "made_at": utc(r.made_at),
                        **{k: v for k, v in r.summary.items() if k not in own},
                    }
                    for r in rows
                ]
            )

    def plan_strata(self, plan_id: int) -> pd.DataFrame:
        """The strata of plan ``plan_id`` (:class:`~iprisk.errors.NotFound` when there is no such plan)."""
        with Session(self.engine) as session:
            if session.get(PlanRow, plan_id) is None:
                raise NotFound("plan", str(plan_id))
            rows = session.scalars(
                select(PlanStratumRow)
                .where(PlanStratumRow.plan_id == plan_id)
                .order_by(PlanStratumRow.office, PlanStratumRow.route, PlanStratumRow.product_category)
            ).all()
            cols = ["office", "route", "product_category", *STRATUM_FIGURES]
            return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)

    # -- operations -----------------------------------------------------------------------------------------
    def save_operation(self, operation: Operation, *, by: str | None = None) -> int:
        """Store a proposed operation; returns its id."""
        with Session(self.engine) as session, session.begin():
            row = OperationRow(
                name=operation.name,
                start=operation.start,
                end=operation.end,
                content=_plain(operation.as_dict()),
                proposed_by=acting_user(by),
                proposed_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            return int(row.operation_id)

    def operation(self, name: str) -> tuple[int, Operation]:
        """The latest operation called ``name`` and its id."""
        from iprisk.allocation.operation import Operation

        with Session(self.engine) as session:
            row = session.scalars(
                select(OperationRow)
                .where(OperationRow.name == name)
                .order_by(OperationRow.operation_id.desc())
            ).first()
            if row is None:
                raise NotFound("operation", name)
            return int(row.operation_id), Operation.from_dict(row.content)

    def record_evaluation(
        self, operation_id: int, evaluation: OperationEvaluation, *, by: str | None = None
    ) -> None:
        """Add an evaluation to operation ``operation_id`` (a later one replaces it, with its author)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(OperationRow, operation_id)
            if row is None:
                raise NotFound("operation", str(operation_id))
            row.evaluation = _plain(evaluation.summary())
            row.evaluated_by = acting_user(by)
            row.evaluated_at = datetime.now(UTC)

    def operations(self) -> pd.DataFrame:
        """Every stored operation, oldest first, with who proposed and evaluated it and when."""
        with Session(self.engine) as session:
            rows = session.scalars(select(OperationRow).order_by(OperationRow.operation_id)).all()
            out = []
            for r in rows:
                ev = r.evaluation or {}
                out.append(
                    {
                        "operation_id": r.operation_id,
                        "name": r.name,
                        "start": r.start,
                        "end": r.end,
                        "offices": ", ".join(r.content.get("offices", [])),
                        "extra_controls": r.content.get("extra_controls"),
                        "expected_extra": r.content.get("expected_extra"),
                        "proposed_by": r.proposed_by,
                        "proposed_at": utc(r.proposed_at),
                        "measured_extra": ev.get("extra"),
                        "measured_low": ev.get("extra_low"),
                        "measured_high": ev.get("extra_high"),
                        "evaluated_by": r.evaluated_by,
                        "evaluated_at": utc(r.evaluated_at) if r.evaluated_at else None,
                    }
                )
            return pd.DataFrame(out)


__all__ = ["STRATUM_FIGURES", "AllocationStore", "OperationRow", "PlanRow", "PlanStratumRow"]
