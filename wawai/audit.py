"""Writing audit rows: ``record(session, "alice", "export.created", camera_id="gate-north", clip=...)``."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from wawai.db.audit import AuditEntry
from wawai.logs import mask_text


def record(
    session: Session, user_name: str, action: str, camera_id: str | None = None, **detail: Any
) -> AuditEntry:
    """Add one audit row to ``session`` (the caller commits, so it lands with the action it records).

    ``detail`` must be JSON-able; strings in it are credential-masked (an audit row is shown to people).
    """
    safe = json.loads(mask_text(json.dumps(detail, default=str)))
    entry = AuditEntry(user_name=user_name, action=action, camera_id=camera_id, detail=safe)
    session.add(entry)
    session.flush()
    return entry
