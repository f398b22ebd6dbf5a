"""Cluster: the node registry (leases on the database clock) and camera ownership with epochs.

Revision ID: 0015_cluster
Revises: 0001_foundation
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wawai.db.base import UTCDateTime

revision: str = "0015_cluster"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cluster_nodes",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("incarnation", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=100), nullable=False),
        sa.Column("advertise_url", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("lease_expires", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cluster_nodes")),
    )
    op.create_table(
        "camera_owners",
        sa.Column("camera_id", sa.String(length=100), nullable=False),
        sa.Column("node", sa.String(length=63), nullable=True),
        sa.Column("incarnation", sa.Integer(), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_owners")),
    )
    op.create_index("ix_camera_owners_node", "camera_owners", ["node"])


def downgrade() -> None:
    op.drop_index("ix_camera_owners_node", table_name="camera_owners")
    op.drop_table("camera_owners")
    op.drop_table("cluster_nodes")
