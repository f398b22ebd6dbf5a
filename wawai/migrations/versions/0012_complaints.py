"""Complaints from the city's apps (Open311): camera-less incidents, complaints, reporters, keys.

Revision ID: 0012_complaints
Revises: 0003_incidents
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wawai.db.base import UTCDateTime

revision: str = "0012_complaints"
down_revision: str | Sequence[str] | None = "0003_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.alter_column("camera_id", existing_type=sa.String(length=100), nullable=True)
        batch.add_column(sa.Column("group_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("source", sa.String(length=30), nullable=True))
    op.create_table(
        "integration_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("services_json", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_integration_keys_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_integration_keys_key_hash")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("service_code", sa.String(length=50), nullable=False),
        sa.Column("service_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(precision=53), nullable=True),
        sa.Column("lon", sa.Float(precision=53), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("media_url", sa.String(length=1000), nullable=True),
        sa.Column("attributes_json", sa.Text(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE",
                                name=op.f("fk_complaints_incident_id_incidents")),
        sa.ForeignKeyConstraint(["key_id"], ["integration_keys.id"], ondelete="SET NULL",
                                name=op.f("fk_complaints_key_id_integration_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_complaints_incident_id")),
    )
    op.create_index("ix_complaints_key_id", "complaints", ["key_id"])
    op.create_index("ix_complaints_service_code", "complaints", ["service_code"])
    op.create_index("ix_complaints_requested_at", "complaints", ["requested_at"])
    op.create_table(
        "complaint_reporters",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("device_id", sa.String(length=200), nullable=True),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], ondelete="CASCADE",
                                name=op.f("fk_complaint_reporters_complaint_id_complaints")),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaint_reporters")),
    )
    op.create_table(
        "open311_idempotency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["integration_keys.id"], ondelete="CASCADE",
                                name=op.f("fk_open311_idempotency_key_id_integration_keys")),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], ondelete="CASCADE",
                                name=op.f("fk_open311_idempotency_complaint_id_complaints")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_idempotency")),
        sa.UniqueConstraint("key_id", "idempotency_key", name=op.f("uq_open311_idempotency_key_id")),
    )


def downgrade() -> None:
    op.drop_table("open311_idempotency")
    op.drop_table("complaint_reporters")
    op.drop_index("ix_complaints_requested_at", table_name="complaints")
    op.drop_index("ix_complaints_service_code", table_name="complaints")
    op.drop_index("ix_complaints_key_id", table_name="complaints")
    op.drop_table("complaints")
    op.drop_table("integration_keys")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("source")
        batch.drop_column("group_name")
        batch.alter_column("camera_id", existing_type=sa.String(length=100), nullable=False)
