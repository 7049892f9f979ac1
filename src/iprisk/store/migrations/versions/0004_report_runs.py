"""The log of reports built (joint reports, newsletters, states of play).

Revision ID: 0004_report_runs
Revises: 0003_node_service
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_report_runs"
down_revision: str | None = "0003_node_service"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "report_runs",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("formats", sa.String(32), nullable=False),
        sa.Column("snapshot", sa.String(64), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_runs_kind", "report_runs", ["kind"])
    op.create_index("ix_report_runs_at", "report_runs", ["at"])


def downgrade() -> None:
    op.drop_index("ix_report_runs_at", table_name="report_runs")
    op.drop_index("ix_report_runs_kind", table_name="report_runs")
    op.drop_table("report_runs")
