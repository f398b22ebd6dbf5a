"""Writing finished segments and gaps into the index, without ever stopping a camera.

The database can be on the disk that just filled up: a failed write is kept in memory, logged once,
and retried with the next one, so a row is late rather than lost. (Crash recovery indexes the files
anyway if the process dies first.)

On a cluster node each row carries the fence of its camera, taken when the row is made (the epoch it
was recorded under): a row the database refuses (the camera moved on) is dropped, not retried, and the
camera is stopped on this node (wawai.cluster.camera_fences).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from recorder.paths import relative_to_storage
from recorder.segment_file import FinishedFile
from wawai.cluster.camera_fences import fence_for, fences_of
from wawai.cluster.fencing import Fence, StaleOwnership
from wawai.db.recordings import RecordingGap, RecordingSegment, add_index_rows

log = logging.getLogger(__name__)

REFUSED_SUFFIX = ".refused"  # a segment written under a stale fence: outside the index, kept on disk


IndexRow = RecordingSegment | RecordingGap


class SegmentIndex:
    def __init__(self, storage: Path, sessions: sessionmaker[Session],
                 services: Mapping[str, Any] | None = None, node: str | None = None) -> None:
        self.storage = storage
        self.sessions = sessions
        self.services: Mapping[str, Any] = services if services is not None else {}
        self.node = node  # a cluster node's name on every segment row: web nodes fetch the file from it
        self._lock = threading.Lock()
        self._pending: list[tuple[IndexRow, Fence | None]] = []
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

    def _write(self, row: IndexRow) -> None:
        try:
            fence = fence_for(self.services, row.camera_id)
        except StaleOwnership as exc:
            self._refused(row, exc)
            return
        with self._lock:
            self._pending.append((row, fence))
            pending = list(self._pending)
            refused: list[tuple[IndexRow, StaleOwnership]] = []
            try:
                with self.sessions() as session:
                    # Consecutive rows under one fence share one check (pending holds one camera's
                    # rows in a row, unless the database was away for a while).
                    for group_fence, group in groupby(pending, key=lambda item: item[1]):
                        rows = [item[0] for item in group]
                        try:
                            add_index_rows(session, rows, group_fence)
                        except StaleOwnership as stale:
                            refused.extend((item, stale) for item in rows)
                    session.commit()
            except SQLAlchemyError as exc:
                if not self._failing:
                    log.error("recording index cannot be written (%s); rows are kept and retried",
                              exc.__class__.__name__)
                self._failing = True
                # Fresh objects next time: the failed session may have half-attached these.
                self._pending = [(_copy(item), item_fence) for item, item_fence in pending]
                return
            if self._failing:
                log.info("recording index writable again (%d row(s) written)", len(pending) - len(refused))
            self._failing = False
            self._pending.clear()
        for item, error in refused:
            self._refused(item, error)

    def _refused(self, row: IndexRow, exc: StaleOwnership) -> None:
        registry = fences_of(self.services)
        what = "a segment" if isinstance(row, RecordingSegment) else "a gap"
        if isinstance(row, RecordingSegment):
            self._set_aside(row)
        if registry is not None:
            registry.refused(row.camera_id, exc, f"{what} of the index")
        else:  # a fence without a registry: only tests build one this way
            log.warning("recording index: %s; %s dropped", exc, what)


    def _set_aside(self, row: RecordingSegment) -> None:
        """Rename a refused segment's file (kept for inspection): crash recovery, which indexes every
        ``*.mp4`` without a row, must not index later what the cluster refused now."""
        path = self.storage / row.path
        try:
            path.rename(path.with_name(path.name + REFUSED_SUFFIX))
        except OSError as exc:
            log.warning("recording index: refused segment %s not set aside (%s)", row.path,
                        exc.__class__.__name__)


def _copy(row: IndexRow) -> IndexRow:
    columns = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id"}
    return type(row)(**columns)
