"""Referrals: the outbox key of each warning's current sending (the receipts are found by it, exactly), and
the attachments' contents kept at the sending node (a warning with attachments can be sent again).

Revision ID: 0007_referrals
Revises: 0006_channel
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_referrals"
down_revision: str | None = "0006_channel"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("referrals", sa.Column("warning_key", sa.String(255), nullable=True))
    _key_the_warnings_in_flight()
    op.create_table(
        "referral_attachments",
        sa.Column("referral_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )


def _key_the_warnings_in_flight() -> None:
    """The warnings sent before this revision and not yet receipted: the key of their newest message
    (``referral.warning/<id>/<sendings>``, or a re-sending ``.../resendN``), found once by prefix."""
    bind = op.get_bind()
    sent = bind.execute(sa.text("SELECT id FROM referrals WHERE state = 'sent'")).scalars().all()
    newest = sa.text(
        "SELECT key FROM channel_outgoing WHERE key LIKE :prefix ORDER BY created DESC, id DESC LIMIT 1"
    )
    for referral_id in sent:
        key = bind.execute(newest, {"prefix": f"referral.warning/{referral_id}/%"}).scalar()
        if key is not None:
            bind.execute(
                sa.text("UPDATE referrals SET warning_key = :key WHERE id = :id"),
                {"key": key, "id": referral_id},
            )


def downgrade() -> None:
    op.drop_table("referral_attachments")
    op.drop_column("referrals", "warning_key")
