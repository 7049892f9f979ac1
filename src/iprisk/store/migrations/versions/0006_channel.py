"""The channel between nodes: outbox, inbox, refusals, delivery attempts, peers, witnessed checkpoints.

Revision ID: 0006_channel
Revises: 0005_referrals
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_channel"
down_revision: str | None = "0005_referrals"
branch_labels: str | None = None
depends_on: str | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "channel_outgoing",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("wire", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        _when("created"),
        _when("expiry"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _when("next_attempt", nullable=True),
        _when("last_attempt", nullable=True),
        sa.Column("receipt", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("key", sa.String(255), nullable=True, unique=True),
    )
    op.create_index("ix_channel_outgoing_due", "channel_outgoing", ["status", "next_attempt"])
    op.create_table(
        "channel_incoming",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("signed", sa.Text, nullable=False),
        _when("received_at"),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("receipt", sa.Text, nullable=False),
    )
    op.create_table(
        "channel_refusals",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        _when("at"),
        sa.Column("error", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "channel_attempts",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        _when("at"),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_channel_attempts_message_id", "channel_attempts", ["message_id"])
    op.create_table(
        "channel_peers",
        sa.Column("node", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(1024), nullable=False),
        sa.Column("keyring", sa.JSON, nullable=False),
        sa.Column("log_vkey", sa.Text, nullable=True),
        sa.Column("witness_vkey", sa.Text, nullable=True),
        _when("updated_at"),
    )
    op.create_table(
        "channel_witness",
        sa.Column("origin", sa.String(255), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_witness")
    op.drop_table("channel_peers")
    op.drop_index("ix_channel_attempts_message_id", table_name="channel_attempts")
    op.drop_table("channel_attempts")
    op.drop_table("channel_refusals")
    op.drop_table("channel_incoming")
    op.drop_index("ix_channel_outgoing_due", table_name="channel_outgoing")
    op.drop_table("channel_outgoing")
