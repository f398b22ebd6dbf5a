"""Complaints from the city's apps become incidents; their status flows back to Open311.

``create_complaint`` is THE place where a complaint enters the database: one transaction (the caller's
session, the caller commits) holds the incident, the complaint, the reporter and the outbox's
``complaint.created`` event, which carries ``Complaint.to_json`` and never ``ComplaintReporter``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from wawai.bus import EventBus
from wawai.config.schema import ComplaintService
from wawai.db.base import utcnow
from wawai.db.complaints import Complaint, ComplaintReporter, IntegrationKey
from wawai.db.incidents import Incident, IncidentStatus
from wawai.integrations.event_data import complaint_data
from wawai.outbox import enqueue

log = logging.getLogger(__name__)

INCIDENT_TYPE = "complaint"
SOURCE = "open311"
CLOSED_STATUSES = frozenset({IncidentStatus.RESOLVED.value, IncidentStatus.FALSE_ALARM.value})
REPORTER_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")


@dataclass(frozen=True)
class NewComplaint:
    service: ComplaintService
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    media_url: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    reporter: dict[str, str] = field(default_factory=dict)  # REPORTER_FIELDS only
    photo_jpeg: bytes | None = None  # already checked and re-encoded (no EXIF: no reporter GPS/device)


def create_complaint(
    session: Session, new: NewComplaint, key: IntegrationKey | None, storage: Path
) -> Complaint:
    """Add the incident, the complaint and its reporter to ``session``; the caller commits."""
    now = utcnow()
    incident = Incident(
        camera_id=None,
        group_name=new.service.group,
        source=SOURCE,
        rule=new.service.name,
        type=INCIDENT_TYPE,
        severity=new.service.severity,
        objects_json="[]",
        started_at=now,
        ended_at=now,  # a report is an instant; its workflow status says whether it is handled
        status=IncidentStatus.NEW.value,
        clip_start=now.timestamp(),
        clip_end=now.timestamp(),
        detail_json="{}",
    )
    session.add(incident)
    session.flush()
    complaint = Complaint(
        incident_id=incident.id,
        key_id=key.id if key else None,
        service_code=new.service.code,
        service_name=new.service.name,
        description=new.description,
        lat=new.lat,
        lon=new.lon,
        address=new.address,
        media_url=new.media_url,
        attributes_json=json.dumps(new.attributes),
        requested_at=now,
    )
    session.add(complaint)
    session.flush()
    reporter = {name: value for name, value in new.reporter.items() if name in REPORTER_FIELDS and value}
    if reporter:
        session.add(ComplaintReporter(complaint_id=complaint.id, **reporter))
    if new.photo_jpeg is not None:
        incident.snapshot_path = _save_photo(storage, incident, new.photo_jpeg)
    session.flush()
    session.refresh(incident)  # loads the complaint relationship for to_json
    enqueue(session, "complaint.created", complaint_data(incident), key=f"incident:{incident.id}")
    return complaint


def _save_photo(storage: Path, incident: Incident, jpeg: bytes) -> str:
    """The reporter's photo is the incident's snapshot: the alerts panel and the incident page show it."""
    day = incident.started_at.strftime("%Y-%m-%d")
    relative = Path("snapshots") / "complaints" / day / f"{incident.id}.jpg"
    target = storage / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".jpg.part")
    partial.write_bytes(jpeg)
    os.replace(partial, target)
    return relative.as_posix()


def publish_created(bus: EventBus, incident: Incident) -> None:
    """``incident.created`` like the analytics stage's, with ``group`` instead of ``camera_id`` so the
    WebSocket forwards it only to users of the department."""
    record = incident.to_json()
    bus.publish({
        "type": "incident.created",
        "id": record["id"],
        "camera": None,
        "group": record["group"],
        "rule": record["rule"],
        "incident_type": record["type"],
        "severity": record["severity"],
        "zone": None,
        "objects": [],
        "track": None,
        "started_at": record["started_at"],
        "ended_at": record["ended_at"],
        "snapshot_url": record["snapshot_url"],
        "frame_ts": incident.started_at.timestamp(),
        "incident": record,
    })


# --- status back to Open311 -------------------------------------------------------------------------


def open311_status(incident: Incident) -> tuple[str, str | None]:
    """(``open`` | ``closed``, status_notes): closed once resolved or a false alarm, with the resolve note
    that the incident workflow keeps in ``incidents.resolution_note``."""
    if incident.status not in CLOSED_STATUSES:
        return "open", None
    return "closed", incident.resolution_note
