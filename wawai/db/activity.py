"""How busy each camera was, per minute: analysed frames, frames with motion, detected objects.

Analytics adds to the current minute's row as frames are analysed (a few writes per camera per minute),
so the timeline draws a day's activity band from at most 1,440 rows instead of from the video.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from wawai.db.base import Base


class ActivityMinute(Base):
    __tablename__ = "activity_minutes"
    __table_args__ = (UniqueConstraint("camera_id", "minute"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(100))
    minute: Mapped[int] = mapped_column(Integer)  # epoch seconds (UTC) of the minute's start
    frames: Mapped[int] = mapped_column(Integer, default=0)  # frames analysed
    motion_frames: Mapped[int] = mapped_column(Integer, default=0)  # ...of which showed motion
    detections: Mapped[int] = mapped_column(Integer, default=0)  # objects detected, summed over frames


def add_counts(session: Session, camera_id: str, minute: int, frames: int, motion_frames: int,
               detections: int) -> None:
    """Add to the minute's row (made when missing). The caller commits."""
    row = session.scalar(select(ActivityMinute).where(ActivityMinute.camera_id == camera_id)
                         .where(ActivityMinute.minute == minute))
    if row is None:
        session.add(ActivityMinute(camera_id=camera_id, minute=minute, frames=frames,
                                   motion_frames=motion_frames, detections=detections))
        return
    row.frames += frames
    row.motion_frames += motion_frames
    row.detections += detections


def minutes_between(session: Session, camera_id: str, start: float, end: float) -> list[ActivityMinute]:
    query = (select(ActivityMinute).where(ActivityMinute.camera_id == camera_id)
             .where(ActivityMinute.minute >= int(start // 60 * 60)).where(ActivityMinute.minute < end)
             .order_by(ActivityMinute.minute))
    return list(session.scalars(query))
