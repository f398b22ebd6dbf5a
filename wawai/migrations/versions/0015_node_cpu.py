"""A node's CPU use, written with each lease renewal (``wawai cluster status``, ``GET /api/cluster``).

Revision ID: 0015_node_cpu
Revises: 0015_cluster
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_node_cpu"
down_revision: str | Sequence[str] | None = "0015_cluster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cluster_nodes") as batch:
        batch.add_column(sa.Column("cpu_percent", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cluster_nodes") as batch:
        batch.drop_column("cpu_percent")
