"""Recordings: the segment index and the gaps with their reason.

Revision ID: 0002_recordings
Revises: 0001_foundation
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_recordings"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recording_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Float(precision=53), nullable=False),
        sa.Column("end", sa.Float(precision=53), nullable=False),
        sa.Column("duration", sa.Float(precision=53), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("codec", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_segments")),
        sa.UniqueConstraint("path", name=op.f("uq_recording_segments_path")),
    )
    op.create_index("ix_recording_segments_camera_start", "recording_segments", ["camera_id", "start"])
    op.create_table(
        "recording_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Float(precision=53), nullable=False),
        sa.Column("end", sa.Float(precision=53), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_gaps")),
    )
    op.create_index("ix_recording_gaps_camera_start", "recording_gaps", ["camera_id", "start"])


def downgrade() -> None:
    op.drop_index("ix_recording_gaps_camera_start", table_name="recording_gaps")
    op.drop_table("recording_gaps")
    op.drop_index("ix_recording_segments_camera_start", table_name="recording_segments")
    op.drop_table("recording_segments")
