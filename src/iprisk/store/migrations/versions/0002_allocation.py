"""Allocation plans (with their strata) and joint operations.

Revision ID: 0002_allocation
Revises: 0001_profiles
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_allocation"
down_revision: str | None = "0001_profiles"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "allocation_plans",
        sa.Column("plan_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("quarter", sa.String(8), nullable=True),
        sa.Column("objective", sa.String(16), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("made_by", sa.String(128), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "allocation_plan_strata",
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("allocation_plans.plan_id"), primary_key=True),
        sa.Column("office", sa.String(16), primary_key=True),
        sa.Column("route", sa.String(64), primary_key=True),
        sa.Column("product_category", sa.String(32), primary_key=True),
        *(
            sa.Column(name, sa.Float, nullable=False)
            for name in (
                "traffic",
                "status_quo",
                "planned",
                "rate",
                "expected",
                "expected_status_quo",
                "marginal",
            )
        ),
    )
    op.create_index("ix_allocation_plan_strata_plan", "allocation_plan_strata", ["plan_id"])
    op.create_table(
        "operations",
        sa.Column("operation_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("start", sa.String(8), nullable=False),
        sa.Column("end", sa.String(8), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("proposed_by", sa.String(128), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluation", sa.JSON, nullable=True),
        sa.Column("evaluated_by", sa.String(128), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_operations_name", "operations", ["name"])


def downgrade() -> None:
    op.drop_index("ix_operations_name", table_name="operations")
    op.drop_table("operations")
    op.drop_index("ix_allocation_plan_strata_plan", table_name="allocation_plan_strata")
    op.drop_table("allocation_plan_strata")
    op.drop_table("allocation_plans")
