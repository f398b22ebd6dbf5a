"""The node that wrote a segment (a cluster's web nodes fetch its file from there); None on one node.

Revision ID: 0015_segment_node
Revises: 0009_segment_playback
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_segment_node"
down_revision: str | Sequence[str] | None = "0009_segment_playback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recording_segments") as batch:
        batch.add_column(sa.Column("node", sa.String(length=63), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recording_segments") as batch:
        batch.drop_column("node")
