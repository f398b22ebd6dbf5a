"""Playback facts of a segment, written when it closes: init part size, picture size, frame count.

Revision ID: 0009_segment_playback
Revises: 0002_recordings
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_segment_playback"
down_revision: str | Sequence[str] | None = "0002_recordings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("init_bytes", "width", "height", "frames")


def upgrade() -> None:
    with op.batch_alter_table("recording_segments") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recording_segments") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
