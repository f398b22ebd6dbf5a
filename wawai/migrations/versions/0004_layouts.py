"""Wall layouts saved per user.

Revision ID: 0004_layouts
Revises: 0001_foundation
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wawai.db.base import UTCDateTime

revision: str = "0004_layouts"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wall_layouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grid", sa.Integer(), nullable=False),
        sa.Column("tiles_json", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wall_layouts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wall_layouts")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_wall_layouts_user_id")),
    )
    op.create_index(op.f("ix_wall_layouts_user_id"), "wall_layouts", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_wall_layouts_user_id"), table_name="wall_layouts")
    op.drop_table("wall_layouts")
