"""Outbox: events that leave Wawai, their deliveries per subscription, subscription state (issue 13).

Revision ID: 0013_outbox
Revises: 0001_foundation
Create Date: 2026-12-01

New tables only; nothing of another stage changes, so it revises the foundation like the other heads.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wawai.db.base import UTCDateTime

revision: str = "0013_outbox"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    op.create_index("ix_outbox_events_created", "outbox_events", ["created_at"])
    op.create_table(
        "outbox_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_pk", sa.Integer(), nullable=False),
        sa.Column("subscription", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("next_try_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_pk"], ["outbox_events.pk"], ondelete="CASCADE",
                                name=op.f("fk_outbox_deliveries_event_pk_outbox_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_deliveries")),
        sa.UniqueConstraint("event_pk", "subscription", name="uq_outbox_deliveries_event_subscription"),
    )
    op.create_index("ix_outbox_deliveries_subscription_state", "outbox_deliveries",
                    ["subscription", "state", "event_pk"])
    op.create_table(
        "outbox_subscriptions",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=200), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("last_failure_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_subscriptions")),
    )


def downgrade() -> None:
    op.drop_table("outbox_subscriptions")
    op.drop_index("ix_outbox_deliveries_subscription_state", table_name="outbox_deliveries")
    op.drop_table("outbox_deliveries")
    op.drop_index("ix_outbox_events_created", table_name="outbox_events")
    op.drop_table("outbox_events")
