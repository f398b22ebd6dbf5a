"""The recordings service the web app and the CLI use (``wawai.recordings.ClipExporter``).

It needs only the database and the storage folder, so ``wawai export`` works without a running node.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from recorder.export import join_segments
from wawai.db.recordings import gaps_between, merge_ranges, segments_between
from wawai.recordings import ClipResult, RecordingsOverview, SegmentView

LiveSegment = Callable[[str], SegmentView | None]


class RecordingsService:
    """``live`` (in a running node) gives the segment a camera is writing now: it has no row until it is
    finished, but the last seconds before an alert are in it."""

    def __init__(self, storage: Path, sessions: sessionmaker[Session],
                 live: LiveSegment | None = None) -> None:
        self.storage = storage
        self.sessions = sessions
        self.live = live

    def _segments(self, session: Session, camera_id: str, start: float, end: float) -> list[SegmentView]:
        segments = [row.view() for row in segments_between(session, camera_id, start, end)]
        current = self.live(camera_id) if self.live is not None else None
        if current is not None and current.start < end and current.end > start and \
                all(s.path != current.path for s in segments):
            segments.append(current)
        return segments

    def overview(self, camera_id: str, start: float, end: float) -> RecordingsOverview:
        with self.sessions() as session:
            segments = self._segments(session, camera_id, start, end)
            ranges = merge_ranges(segments, start, end)
            gaps = gaps_between(session, camera_id, ranges, start, end)
        return RecordingsOverview(camera_id, start, end, ranges, gaps, segments)

    def export_clip(self, camera_id: str, start: float, end: float, output: Path) -> ClipResult:
        with self.sessions() as session:
            segments = self._segments(session, camera_id, start, end)
        return join_segments(self.storage, segments, start, end, output)
