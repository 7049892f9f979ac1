"""Referrals between key ports, their lifecycle events, and the network of key ports.

Revision ID: 0005_referrals
Revises: 0004_report_runs
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_referrals"
down_revision: str | None = "0004_report_runs"
branch_labels: str | None = None
depends_on: str | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("sending_port", sa.String(5), nullable=False),
        sa.Column("receiving_port", sa.String(5), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("warning", sa.JSON, nullable=False),
        _when("drafted_at", nullable=False),
        _when("sent_at"),
        _when("received_at"),
        _when("acknowledged_at"),
        _when("closed_at"),
        _when("expired_at"),
        sa.Column("feedback", sa.JSON, nullable=False),
        sa.Column("seizure_report", sa.JSON, nullable=True),
        sa.Column("alerts", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_referrals_ports", "referrals", ["sending_port", "receiving_port"])
    op.create_index("ix_referrals_state", "referrals", ["state"])
    op.create_table(
        "referral_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        _when("at", nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_referral_events_referral", "referral_events", ["referral_id"])
    op.create_table(
        "referral_ports",
        sa.Column("locode", sa.String(5), primary_key=True),
        sa.Column("side", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("contact_unit", sa.String(200), nullable=False),
        sa.Column("pilot", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        _when("updated_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("referral_ports")
    op.drop_index("ix_referral_events_referral", table_name="referral_events")
    op.drop_table("referral_events")
    op.drop_index("ix_referrals_state", table_name="referrals")
    op.drop_index("ix_referrals_ports", table_name="referrals")
    op.drop_table("referrals")
