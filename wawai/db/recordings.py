"""The recording index: one row per finished segment file, and the gaps the recorder knows a reason for.

Times are epoch seconds (UTC) as floats: segments are cut on frame boundaries, so sub-second precision
matters when consecutive segments must meet without a gap or an overlap. Ranges and gaps are derived from
the segments (the disk is the truth); gap rows only add the reason (camera offline, disk error).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, Float, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from wawai.cluster.fencing import Fence, check_fences
from wawai.db.base import Base
from wawai.recordings import Gap, SegmentView, TimeRange

# Segments closer than this are one continuous range (timestamps are frame-exact; this absorbs rounding).
CONTIGUOUS_SECONDS = 0.5


class RecordingSegment(Base):
    __tablename__ = "recording_segments"
    __table_args__ = (Index("ix_recording_segments_camera_start", "camera_id", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(100))
    start: Mapped[float] = mapped_column(Float(precision=53))
    end: Mapped[float] = mapped_column(Float(precision=53))
    duration: Mapped[float] = mapped_column(Float(precision=53))
    bytes: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(500), unique=True)  # relative to the storage folder
    codec: Mapped[str] = mapped_column(String(50))
    # Written when the segment closes (0009_segment_playback); None for rows indexed before that.
    init_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)  # ftyp + moov: the HLS map
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    frames: Mapped[int | None] = mapped_column(Integer, nullable=True)  # video frames: frame step
    # The cluster node that wrote the file (0015_segment_node); None on a single node.
    node: Mapped[str | None] = mapped_column(String(63), nullable=True)

    def view(self) -> SegmentView:
        return SegmentView(self.camera_id, self.start, self.end, self.bytes, self.path, self.codec,
                           id=self.id, width=self.width, height=self.height, frames=self.frames,
                           init_bytes=self.init_bytes)


class RecordingGap(Base):
    __tablename__ = "recording_gaps"
    __table_args__ = (Index("ix_recording_gaps_camera_start", "camera_id", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(100))
    start: Mapped[float] = mapped_column(Float(precision=53))
    end: Mapped[float] = mapped_column(Float(precision=53))
    reason: Mapped[str] = mapped_column(String(50))


def add_index_rows(session: Session, rows: Sequence[RecordingSegment | RecordingGap],
                   fence: Fence | None = None) -> None:
    """Add finished segments and gaps of one camera to the session (the caller commits).

    With a ``fence`` (a cluster's record node), the rows are added only while that node still owns the
    camera at the fence's epoch; otherwise StaleOwnership is raised and nothing is added. Without one
    (a single node), rows are added as they always were.
    """
    check_fences(session, [row.camera_id for row in rows], fence)
    session.add_all(rows)


def segments_between(session: Session, camera_id: str, start: float, end: float) -> list[RecordingSegment]:
    """Segments of a camera overlapping [start, end), oldest first."""
    query = (
        select(RecordingSegment)
        .where(RecordingSegment.camera_id == camera_id)
        .where(RecordingSegment.end > start)
        .where(RecordingSegment.start < end)
        .order_by(RecordingSegment.start)
    )
    return list(session.scalars(query))


def merge_ranges(segments: Sequence[SegmentView], start: float, end: float) -> list[TimeRange]:
    """Continuous recorded ranges, clipped to [start, end]."""
    ranges: list[TimeRange] = []
    for segment in segments:
        seg_start, seg_end = max(segment.start, start), min(segment.end, end)
        if seg_end <= seg_start:
            continue
        if ranges and seg_start - ranges[-1].end <= CONTIGUOUS_SECONDS:
            ranges[-1] = TimeRange(ranges[-1].start, max(ranges[-1].end, seg_end))
        else:
            ranges.append(TimeRange(seg_start, seg_end))
    return ranges


def gaps_between(session: Session, camera_id: str, ranges: Sequence[TimeRange], start: float,
                 end: float) -> list[Gap]:
    """The holes between ``ranges`` inside [start, end], each with the reason the recorder logged."""
    holes: list[tuple[float, float]] = []
    cursor = start
    for recorded in ranges:
        if recorded.start - cursor > CONTIGUOUS_SECONDS:
            holes.append((cursor, recorded.start))
        cursor = max(cursor, recorded.end)
    if end - cursor > CONTIGUOUS_SECONDS:
        holes.append((cursor, end))
    if not holes:
        return []
    reasons = list(
        session.scalars(
            select(RecordingGap)
            .where(RecordingGap.camera_id == camera_id)
            .where(RecordingGap.end > start)
            .where(RecordingGap.start < end)
            .order_by(RecordingGap.start)
        )
    )
    gaps = []
    for hole_start, hole_end in holes:
        reason = next((r.reason for r in reasons if r.start < hole_end and r.end > hole_start),
                      "not_recorded")
        gaps.append(Gap(hole_start, hole_end, reason))
    return gaps


def oldest_segments(session: Session, limit: int, offset: int = 0) -> list[RecordingSegment]:
    """Segments of every camera, oldest first (the quota's deletion order)."""
    query = select(RecordingSegment).order_by(RecordingSegment.start).offset(offset).limit(limit)
    return list(session.scalars(query))


def total_bytes(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(RecordingSegment.bytes), 0))) or 0)


def delete_segments(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(delete(RecordingSegment).where(RecordingSegment.id.in_(list(ids))))
