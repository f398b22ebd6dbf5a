"""Writing finished segments and gaps into the index, without ever stopping a camera.

The database can be on the disk that just filled up: a failed write is kept in memory, logged once,
and retried with the next one, so a row is late rather than lost. (Crash recovery indexes the files
anyway if the process dies first.)
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from recorder.paths import relative_to_storage
from recorder.segment_file import FinishedFile
from wawai.db.base import Base
from wawai.db.recordings import RecordingGap, RecordingSegment

log = logging.getLogger(__name__)


class SegmentIndex:
    def __init__(self, storage: Path, sessions: sessionmaker[Session], node: str | None = None) -> None:
        self.storage = storage
        self.sessions = sessions
        self.node = node  # a cluster node's name on every segment row: web nodes fetch the file from it
        self._lock = threading.Lock()
        self._pending: list[Base] = []
        self._failing = False

    def add_segment(self, camera_id: str, finished: FinishedFile) -> None:
        self._write(RecordingSegment(
            camera_id=camera_id, start=finished.start, end=finished.end,
            duration=finished.end - finished.start, bytes=finished.bytes,
            path=relative_to_storage(self.storage, finished.path), codec=finished.codec,
            init_bytes=finished.init_bytes, width=finished.width, height=finished.height,
            frames=finished.frames, node=self.node,
        ))

    def add_gap(self, camera_id: str, start: float, end: float, reason: str) -> None:
        self._write(RecordingGap(camera_id=camera_id, start=start, end=end, reason=reason))

    def last_end(self, camera_id: str) -> float | None:
        with self.sessions() as session:
            value = session.scalar(
                select(func.max(RecordingSegment.end)).where(RecordingSegment.camera_id == camera_id))
        return float(value) if value is not None else None

    def _write(self, row: Base) -> None:
        with self._lock:
            self._pending.append(row)
            pending = list(self._pending)
            try:
                with self.sessions() as session:
                    session.add_all(pending)
                    session.commit()
            except SQLAlchemyError as exc:
                if not self._failing:
                    log.error("recording index cannot be written (%s); rows are kept and retried",
                              exc.__class__.__name__)
                self._failing = True
                # Fresh objects next time: the failed session may have half-attached these.
                self._pending = [_copy(item) for item in pending]
                return
            if self._failing:
                log.info("recording index writable again (%d row(s) written)", len(pending))
            self._failing = False
            self._pending.clear()


def _copy(row: Base) -> Base:
    columns = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id"}
    return type(row)(**columns)
