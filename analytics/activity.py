"""Per-minute activity counts of one camera (frames analysed, frames with motion, objects detected).

Counts stay in memory for the current minute and are added to its ``activity_minutes`` row when the
minute is over (one small write per camera per minute, from the camera's own thread). A failed write is
logged and the counts are kept for the next try: the timeline's activity band is late, never wrong.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from wawai.db.activity import add_counts

log = logging.getLogger(__name__)


class ActivityCounter:
    def __init__(self, camera_id: str, sessions: sessionmaker[Session]) -> None:
        self.camera_id = camera_id
        self.sessions = sessions
        self._minute: int | None = None
        self._pending: dict[int, list[int]] = {}  # minute -> [frames, motion frames, detections]

    def add(self, at: float, moving: bool, detections: int) -> None:
        minute = int(at // 60) * 60
        if self._minute is not None and minute != self._minute:
            self.flush()
        self._minute = minute
        counts = self._pending.setdefault(minute, [0, 0, 0])
        counts[0] += 1
        counts[1] += int(moving)
        counts[2] += detections

    def flush(self) -> None:
        if not self._pending:
            return
        try:
            with self.sessions() as session:
                for minute, (frames, motion, found) in sorted(self._pending.items()):
                    add_counts(session, self.camera_id, minute, frames, motion, found)
                session.commit()
        except SQLAlchemyError as exc:
            log.warning("camera %s: activity counts not written yet (%s)", self.camera_id,
                        exc.__class__.__name__)
            return
        self._pending.clear()
