"""Incident retention: incidents (and their snapshots) older than ``incidents.retain_days`` go.

Only ended incidents are removed: an incident still open (a camera offline for weeks) stays until it
ends, and one locked as evidence stays until it is unlocked. The snapshot goes first, then the row, so
a crash between the two leaves a row without a picture (the API answers 404 for it) rather than a
picture nobody can find.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wawai.db.incidents import Incident

log = logging.getLogger(__name__)

BATCH = 500


def purge_incidents(
    sessions: sessionmaker[Session], storage: Path, retain_days: float, now: float | None = None
) -> int:
    """Delete ended incidents that started more than ``retain_days`` ago; returns how many."""
    cutoff = datetime.fromtimestamp((now if now is not None else time.time()) - retain_days * 86400, UTC)
    removed = 0
    while True:
        with sessions() as db:
            old = db.scalars(
                select(Incident)
                .where(Incident.started_at < cutoff, Incident.ended_at.is_not(None))
                .where(Incident.locked.is_(False))
                .limit(BATCH)
            ).all()
            if not old:
                break
            for incident in old:
                if incident.snapshot_path:
                    snapshot = storage / incident.snapshot_path
                    try:
                        snapshot.unlink(missing_ok=True)
                    except OSError as exc:
                        log.warning("incident %d: snapshot not removed: %s", incident.id, exc)
                db.delete(incident)
            db.commit()
            removed += len(old)
    if removed:
        log.info("removed %d incidents older than %g days", removed, retain_days)
    return removed
