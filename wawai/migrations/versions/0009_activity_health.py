"""Per-minute activity counts (analytics) and camera health samples (the node's sampler).

Revision ID: 0009_activity_health
Revises: 0001_foundation
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_activity_health"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity_minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=100), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("motion_frames", sa.Integer(), nullable=False),
        sa.Column("detections", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_minutes")),
        sa.UniqueConstraint("camera_id", "minute", name=op.f("uq_activity_minutes_camera_id")),
    )
    op.create_table(
        "camera_health_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=100), nullable=False),
        sa.Column("at", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("bitrate_kbps", sa.Float(), nullable=True),
        sa.Column("keyframe_interval", sa.Float(), nullable=True),
        sa.Column("reconnects", sa.Integer(), nullable=False),
        sa.Column("recording", sa.String(length=20), nullable=True),
        sa.Column("detector_ms", sa.Float(), nullable=True),
        sa.Column("detector_queue_ms", sa.Float(), nullable=True),
        sa.Column("drops", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_health_samples")),
    )
    op.create_index("ix_camera_health_samples_camera_at", "camera_health_samples", ["camera_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_camera_health_samples_camera_at", table_name="camera_health_samples")
    op.drop_table("camera_health_samples")
    op.drop_table("activity_minutes")
