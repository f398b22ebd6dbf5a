"""Incidents from rule events: a DB row, a JPEG snapshot with the boxes drawn, and bus messages.

Bus messages (the WebSocket at /api/events forwards them): ``incident.created`` when an incident starts
(or happens at an instant) and ``incident.updated`` when it ends. The message's own ``type`` is the
message type, so the incident's type travels as ``incident_type``. ``camera_id`` repeats ``camera``
because the WebSocket forwards a camera's messages only to users who may see it, by that key.
``incident`` holds the full record as ``GET /api/incidents/{id}`` returns it, and ``frame_ts`` the
capture time of the triggering frame.

The same two changes go to the outbox (wawai.outbox.enqueue) in the transaction that writes the row, so
webhooks and MQTT get exactly the incidents that were stored.

On a cluster node (``services`` holds the camera fences) the transaction first checks the camera's
fence: a node that no longer owns the camera writes no incident, no snapshot and no outbox row; the
refusal stops the camera here and ``StaleOwnership`` reaches the caller.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from analytics.rules import RuleEvent
from wawai.bus import EventBus
from wawai.cluster.camera_fences import fence_for, fences_of
from wawai.cluster.fencing import StaleOwnership, check_fence
from wawai.config.schema import CameraConfig
from wawai.db.incidents import Incident, IncidentStatus
from wawai.incident_events import publish_incident
from wawai.integrations.event_data import incident_data
from wawai.media import BGRImage
from wawai.outbox import enqueue

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]

HIGHLIGHT = (0, 0, 255)  # BGR red: the objects that caused the incident
OTHER = (0, 200, 0)
ZONE = (0, 215, 255)


@dataclass(frozen=True)
class DrawnBox:
    box: Box  # frame pixels
    label: str
    track_id: int | None
    highlight: bool


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class IncidentStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        storage: Path,
        bus: EventBus,
        *,
        pre_seconds: float,
        post_seconds: float,
        cameras: Mapping[str, CameraConfig] | None = None,
        services: Mapping[str, Any] | None = None,
    ) -> None:
        self.sessions = sessions
        self.services: Mapping[str, Any] = services if services is not None else {}
        self.cameras = cameras or {}
        self.storage = storage
        self.bus = bus
        self.pre_seconds = pre_seconds
        self.post_seconds = post_seconds

    def open(
        self,
        camera_id: str,
        event: RuleEvent,
        image: BGRImage | None = None,
        boxes: list[DrawnBox] | None = None,
        zone: list[tuple[float, float]] | None = None,
    ) -> int:
        """Store a new incident (an instant one is ended at once) and announce it; returns its id.

        ``zone`` (a polygon, or a line rule's two points) is outlined on the snapshot.
        """
        instant = event.kind == "instant"
        with self.sessions() as session:
            self._check_fence(session, camera_id, "an incident")
            incident = Incident(
                camera_id=camera_id,
                rule=event.rule.name,
                type=event.rule.type,
                zone=event.zone,
                severity=event.rule.severity,
                objects_json=json.dumps(list(event.objects)),
                track_id=event.key[1],
                started_at=utc(event.at),
                ended_at=utc(event.at) if instant else None,
                status=IncidentStatus.NEW.value,
                clip_start=event.at - self.pre_seconds,
                clip_end=event.at + self.post_seconds if instant else None,
                detail_json=json.dumps(event.detail, default=str),
            )
            session.add(incident)
            session.flush()
            if image is not None:
                drawn = boxes or []
                incident.snapshot_path = self._snapshot(camera_id, incident.id, event.at, image, drawn, zone)
            self._enqueue(session, "incident.created", incident)
            session.commit()
            message = incident.to_json()
        self._publish("incident.created", message, event.at)
        return int(message["id"])

    def close(self, incident_id: int, at: float) -> None:
        """End an open incident at ``at`` (epoch seconds) and announce it."""
        with self.sessions() as session:
            incident = session.get(Incident, incident_id)
            if incident is None or incident.ended_at is not None:
                return
            self._check_fence(session, incident.camera_id or "", "the end of an incident")
            incident.ended_at = utc(at)
            incident.clip_end = at + self.post_seconds
            self._enqueue(session, "incident.updated", incident)
            session.commit()
            message = incident.to_json()
        self._publish("incident.updated", message, at)

    def _check_fence(self, session: Session, camera_id: str, what: str) -> None:
        """On a cluster node: raise StaleOwnership (after stopping the camera here) unless we own it."""
        try:
            fence = fence_for(self.services, camera_id)
            if fence is not None:
                check_fence(session, fence)
        except StaleOwnership as exc:
            session.rollback()
            registry = fences_of(self.services)
            if registry is not None:
                registry.refused(camera_id, exc, what)
            raise

    def _enqueue(self, session: Session, kind: str, incident: Incident) -> None:
        data = incident_data(incident, self.cameras.get(incident.camera_id or ""))
        enqueue(session, kind, data, key=f"incident:{incident.id}")

    def _publish(self, kind: str, record: dict[str, Any], frame_ts: float) -> None:
        publish_incident(self.bus, kind, record, frame_ts=frame_ts)

    def _snapshot(
        self,
        camera_id: str,
        incident_id: int,
        at: float,
        image: BGRImage,
        boxes: list[DrawnBox],
        zone: list[tuple[float, float]] | None,
    ) -> str | None:
        picture = image.copy()
        height, width = picture.shape[:2]
        if zone:
            points = np.array([[x * width, y * height] for x, y in zone], dtype=np.int32)
            cv2.polylines(picture, [points], len(zone) > 2, ZONE, 2)
        for drawn in boxes:
            colour = HIGHLIGHT if drawn.highlight else OTHER
            x1, y1, x2, y2 = (round(v) for v in drawn.box)
            cv2.rectangle(picture, (x1, y1), (x2, y2), colour, 2)
            caption = drawn.label if drawn.track_id is None else f"{drawn.label} #{drawn.track_id}"
            cv2.putText(picture, caption, (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1,
                        cv2.LINE_AA)
        relative = Path("snapshots") / camera_id / utc(at).strftime("%Y-%m-%d") / f"{incident_id}.jpg"
        target = self.storage / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 85])
            if not ok:
                raise OSError("JPEG encoding failed")
            partial = target.with_suffix(".jpg.part")
            partial.write_bytes(encoded.tobytes())
            os.replace(partial, target)
        except OSError as exc:
            # The incident matters more than its picture: keep the row, say why the picture is missing.
            log.error("camera %s: incident %d snapshot not written: %s", camera_id, incident_id, exc)
            return None
        return relative.as_posix()
