"""Per-minute health samples of each camera, kept ``health.retain_days`` for the health page's plots."""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from wawai.db.base import Base


class HealthSample(Base):
    __tablename__ = "camera_health_samples"
    __table_args__ = (Index("ix_camera_health_samples_camera_at", "camera_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(100))
    at: Mapped[int] = mapped_column(Integer)  # epoch seconds (UTC) when sampled
    state: Mapped[str] = mapped_column(String(20))  # ingest state
    fps: Mapped[float | None] = mapped_column(Float, nullable=True)
    bitrate_kbps: Mapped[float | None] = mapped_column(Float, nullable=True)
    keyframe_interval: Mapped[float | None] = mapped_column(Float, nullable=True)
    reconnects: Mapped[int] = mapped_column(Integer, default=0)  # since the node started
    recording: Mapped[str | None] = mapped_column(String(20), nullable=True)
    detector_ms: Mapped[float | None] = mapped_column(Float, nullable=True)  # inference time per call
    detector_queue_ms: Mapped[float | None] = mapped_column(Float, nullable=True)  # wait before inference
    drops: Mapped[int] = mapped_column(Integer, default=0)  # queue drops of all consumers, since start


def samples_between(session: Session, camera_id: str, start: float, end: float) -> list[HealthSample]:
    query = (select(HealthSample).where(HealthSample.camera_id == camera_id)
             .where(HealthSample.at >= start).where(HealthSample.at < end).order_by(HealthSample.at))
    return list(session.scalars(query))


def delete_before(session: Session, cutoff: float) -> int:
    result = session.execute(delete(HealthSample).where(HealthSample.at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
