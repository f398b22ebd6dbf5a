"""The time around incidents that retention must keep, read from the analytics' incidents table.

An incident's ``clip_start``/``clip_end`` (epoch seconds) already include the pre- and post-roll; an
open incident (no end yet) protects everything after its start. An incident locked as evidence
(``locked``) is kept however old it is, until it is unlocked. Without the table (analytics not
installed, or its migration not applied) there are no incidents to keep.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

OPEN_END = float("inf")


class IncidentWindows:
    """Sorted (start, end) windows per camera; ``overlaps`` answers for one segment."""

    def __init__(self, windows: dict[str, list[tuple[float, float]]]) -> None:
        self._windows = {camera: _merge(sorted(spans)) for camera, spans in windows.items()}
        self._starts = {camera: [start for start, _ in spans] for camera, spans in self._windows.items()}

    def overlaps(self, camera_id: str, start: float, end: float) -> bool:
        spans = self._windows.get(camera_id)
        if not spans:
            return False
        # The last window starting before the segment's end is the only candidate (windows are merged).
        index = bisect_right(self._starts[camera_id], end) - 1
        return index >= 0 and spans[index][1] > start

    def __len__(self) -> int:
        return sum(len(spans) for spans in self._windows.values())


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def load_incident_windows(session: Session, since: float, pre_seconds: float,
                          post_seconds: float, locked_only: bool = False) -> IncidentWindows:
    """Windows of incidents that started after ``since`` (older ones are past incidents.retain_days) and
    of every locked incident; with ``locked_only``, of the locked ones alone."""
    try:
        from wawai.db.incidents import Incident
    except ImportError:
        return IncidentWindows({})
    query = select(Incident.camera_id, Incident.clip_start, Incident.clip_end, Incident.started_at,
                   Incident.ended_at)
    locked = Incident.locked.is_(True)
    if locked_only:
        query = query.where(locked)
    else:
        query = query.where(or_(Incident.started_at >= datetime.fromtimestamp(since, UTC), locked))
    windows: dict[str, list[tuple[float, float]]] = defaultdict(list)
    try:
        rows = session.execute(query).all()
    except SQLAlchemyError as exc:
        log.debug("no incidents table (%s): no incident segments to keep", exc.__class__.__name__)
        session.rollback()
        return IncidentWindows({})
    for camera_id, clip_start, clip_end, started_at, ended_at in rows:
        start = min(clip_start, started_at.timestamp() - pre_seconds)
        if ended_at is None or clip_end is None:
            end = OPEN_END
        else:
            end = max(clip_end, ended_at.timestamp() + post_seconds)
        windows[camera_id].append((start, end))
    return IncidentWindows(windows)
