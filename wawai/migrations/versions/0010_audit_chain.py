"""Tamper-evident audit log (each row holds the previous row's SHA-256) and a language per user.

Revision ID: 0010_audit_chain
Revises: 0001_foundation
Create Date: 2026-12-01

Rows written before this revision are chained here, oldest first, so ``wawai audit verify`` covers them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from wawai.audit_chain import row_hash

revision: str = "0010_audit_chain"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=10), nullable=False, server_default="en"))
    connection = op.get_bind()
    rows: Sequence[Any] = connection.execute(sa.text(
        "SELECT id, at, user_name, action, camera_id, detail FROM audit_log ORDER BY id")).all()
    previous: str | None = None
    for row_id, at, user_name, action, camera_id, detail in rows:
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        data = json.loads(detail) if isinstance(detail, str) else (detail or {})
        digest = row_hash(previous, int(row_id), moment, str(user_name), str(action),
                          None if camera_id is None else str(camera_id), data)
        connection.execute(sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
                           {"p": previous, "h": digest, "i": row_id})
        previous = digest


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
