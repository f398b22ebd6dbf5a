"""Incidents: what the analytics rules found, one row per (track, rule) or per camera-wide condition.

``started_at``/``ended_at`` are UTC datetimes (what people search by); ``clip_start``/``clip_end`` are
epoch seconds like the recording index, so the clip a reviewer needs (pre/post roll included) is looked
up without conversion. ``status`` is the review workflow (wawai.incident_workflow): new -> acknowledged
-> assigned -> on_hold -> resolved | false_alarm, and reopen back to acknowledged; every change is an
``IncidentHistory`` row. ``IncidentSeen`` is each user's own "I have looked at it" mark, apart from the
shared status.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wawai.db.base import Base, UTCDateTime, utcnow


class IncidentStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    FALSE_ALARM = "false_alarm"


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_camera_started", "camera_id", "started_at"),
        Index("ix_incidents_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(30))  # the rule type: intrusion, loitering, line_crossing, ...
    zone: Mapped[str | None] = mapped_column(String(100), nullable=True)
    severity: Mapped[str] = mapped_column(String(20))
    objects_json: Mapped[str] = mapped_column(Text, default="[]")  # labels involved, e.g. ["person"]
    track_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.NEW.value)
    snapshot_path: Mapped[str | None] = mapped_column(String(500), nullable=True)  # relative to storage
    clip_start: Mapped[float] = mapped_column(Float(precision=53))
    clip_end: Mapped[float | None] = mapped_column(Float(precision=53), nullable=True)  # None while open
    detail_json: Mapped[str] = mapped_column(Text, default="{}")  # rule facts: direction, count, ...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Workflow (0010_incident_workflow). priority starts as the severity; a supervisor may change it.
    priority: Mapped[str | None] = mapped_column(String(20), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)  # a user name
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # not acked in time
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The latest resolve / false-alarm note (Open311's status_notes reads it; keep the name).
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Locked as evidence: its footage is kept past retention and quota until unlocked.
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def current_priority(self) -> str:
        return self.priority or self.severity

    @property
    def overdue(self) -> bool:
        """Escalated and still waiting for someone to acknowledge it."""
        return self.escalated_at is not None and self.status == IncidentStatus.NEW.value

    @property
    def objects(self) -> list[str]:
        return [str(label) for label in json.loads(self.objects_json or "[]")]

    @property
    def detail(self) -> dict[str, Any]:
        value = json.loads(self.detail_json or "{}")
        return value if isinstance(value, dict) else {}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "camera": self.camera_id,
            "rule": self.rule,
            "type": self.type,
            "zone": self.zone,
            "severity": self.severity,
            "objects": self.objects,
            "track": self.track_id,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "status": self.status,
            "clip_start": self.clip_start,
            "clip_end": self.clip_end,
            "detail": self.detail,
            "snapshot_url": f"/api/incidents/{self.id}/snapshot.jpg" if self.snapshot_path else None,
            "priority": self.current_priority,
            "assignee": self.assignee,
            "overdue": self.overdue,
            "acknowledged_at": _iso(self.acknowledged_at),
            "escalated_at": _iso(self.escalated_at),
            "updated_at": _iso(self.updated_at),
            "resolution_note": self.resolution_note,
            "locked": bool(self.locked),
            "locked_by": self.locked_by,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class IncidentHistory(Base):
    """One workflow step: who, when, from which status to which, and the note (oldest first by id)."""

    __tablename__ = "incident_history"
    __table_args__ = (Index("ix_incident_history_incident_at", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail_json: Mapped[str] = mapped_column(Text, default="{}")  # assignee, priority

    def to_json(self) -> dict[str, Any]:
        detail = json.loads(self.detail_json or "{}")
        return {
            "id": self.id, "incident": self.incident_id, "at": self.at.isoformat(), "actor": self.actor,
            "action": self.action, "from_status": self.from_status, "to_status": self.to_status,
            "note": self.note, "detail": detail if isinstance(detail, dict) else {},
        }


class IncidentSeen(Base):
    """A user's own "seen" mark on an incident (opening it sets it)."""

    __tablename__ = "incident_seen"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             primary_key=True, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
