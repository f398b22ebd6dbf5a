"""Incident workflow: assignee, priority, escalation, resolution note, evidence lock; history; seen marks.

Revision ID: 0010_incident_workflow
Revises: 0003_incidents
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wawai.db.base import UTCDateTime

revision: str = "0010_incident_workflow"
down_revision: str | Sequence[str] | None = "0003_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("priority", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("assignee", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("escalated_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("locked_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("locked_at", UTCDateTime(), nullable=True))
    op.create_table(
        "incident_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"],
                                name=op.f("fk_incident_history_incident_id_incidents"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_history")),
    )
    op.create_index("ix_incident_history_incident_at", "incident_history", ["incident_id", "at"])
    op.create_table(
        "incident_seen",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_incident_seen_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"],
                                name=op.f("fk_incident_seen_incident_id_incidents"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "incident_id", name=op.f("pk_incident_seen")),
    )
    op.create_index(op.f("ix_incident_seen_incident_id"), "incident_seen", ["incident_id"])


def downgrade() -> None:
    op.drop_table("incident_seen")
    op.drop_table("incident_history")
    with op.batch_alter_table("incidents") as batch:
        for column in ("locked_at", "locked_by", "locked", "resolution_note", "updated_at", "escalated_at",
                       "acknowledged_at", "assignee", "priority"):
            batch.drop_column(column)
