"""Writing audit rows: ``record(session, "alice", "export.created", camera_id="gate-north", clip=...)``.

Every row is chained to the one before it (wawai.audit_chain): ``record`` inserts the row first, which
on SQLite takes the database's single write lock, so the previous row it then reads is the newest one and
no other writer can slip in between until the caller commits. On PostgreSQL a transaction-scoped advisory
lock serialises the writers the same way. Rows are never updated or deleted by the app.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from wawai.audit_chain import ChainReport, ChainRow, row_hash, verify_chain
from wawai.db.audit import AuditEntry
from wawai.logs import mask_text

ADVISORY_LOCK_KEY = 0x57415741  # "WAWA": one lock for the audit chain on PostgreSQL


class AuditIsAppendOnly(RuntimeError):
    """The app tried to change or delete an audit row."""


def record(
    session: Session, user_name: str, action: str, camera_id: str | None = None, **detail: Any
) -> AuditEntry:
    """Add one audit row to ``session`` (the caller commits, so it lands with the action it records).

    ``detail`` must be JSON-able; strings in it are credential-masked (an audit row is shown to people).
    """
    safe = json.loads(mask_text(json.dumps(detail, default=str)))
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    entry = AuditEntry(user_name=user_name, action=action, camera_id=camera_id, detail=safe)
    session.add(entry)
    session.flush()  # the id, and on SQLite the write lock
    previous = session.scalar(
        select(AuditEntry.hash).where(AuditEntry.id < entry.id).order_by(AuditEntry.id.desc()).limit(1)
    )
    # The hash must cover the time as stored: microseconds, UTC.
    entry.prev_hash = previous
    entry.hash = row_hash(previous, entry.id, entry.at, user_name, action, camera_id, safe)
    session.flush()
    return entry


@event.listens_for(AuditEntry, "before_update")
def _no_update(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    # The one update allowed: record() filling in the chain of the row it has just inserted.
    state = inspect(target)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    filling = state.attrs.hash.history.deleted in ((), [None])
    if changed <= {"hash", "prev_hash"} and filling:
        return
    raise AuditIsAppendOnly("audit rows are append-only")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(_mapper: Any, _connection: Any, _target: AuditEntry) -> None:
    raise AuditIsAppendOnly("audit rows are append-only")


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole audit log oldest first (in batches: it grows for years)."""

    def rows() -> Any:
        last = 0
        while True:
            chunk = session.scalars(
                select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)
            ).all()
            if not chunk:
                return
            for entry in chunk:
                yield ChainRow(entry.id, entry.at, entry.user_name, entry.action, entry.camera_id,
                               entry.detail, entry.prev_hash, entry.hash)
            last = chunk[-1].id
            session.expunge_all()

    return verify_chain(rows())
