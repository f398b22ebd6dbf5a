"""The recordings service the web app and the CLI use (``wawai.recordings.ClipExporter``).

It needs only the database and the storage folder, so ``wawai export`` works without a running node.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from recorder.export import join_segments
from wawai.db.recordings import gaps_between, merge_ranges, segments_between
from wawai.recordings import ClipResult, RecordingsOverview


class RecordingsService:
    def __init__(self, storage: Path, sessions: sessionmaker[Session]) -> None:
        self.storage = storage
        self.sessions = sessions

    def overview(self, camera_id: str, start: float, end: float) -> RecordingsOverview:
        with self.sessions() as session:
            segments = [row.view() for row in segments_between(session, camera_id, start, end)]
            ranges = merge_ranges(segments, start, end)
            gaps = gaps_between(session, camera_id, ranges, start, end)
        return RecordingsOverview(camera_id, start, end, ranges, gaps, segments)

    def export_clip(self, camera_id: str, start: float, end: float, output: Path) -> ClipResult:
        with self.sessions() as session:
            segments = [row.view() for row in segments_between(session, camera_id, start, end)]
        return join_segments(self.storage, segments, start, end, output)
