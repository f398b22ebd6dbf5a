"""Bus messages about incidents, one shape for every sender (analytics, the workflow, escalation).

``type``: ``incident.created`` | ``incident.updated`` | ``incident.escalated``. The incident's own type
travels as ``incident_type``; ``camera_id`` is the key /api/events filters on (per-user camera groups);
``incident`` is the full record as ``GET /api/incidents/{id}`` returns it.
"""

from __future__ import annotations

from typing import Any

from wawai.bus import EventBus

CREATED = "incident.created"
UPDATED = "incident.updated"
ESCALATED = "incident.escalated"


def incident_message(kind: str, record: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "id": record["id"],
        "camera": record["camera"],
        "camera_id": record["camera"],
        "rule": record["rule"],
        "incident_type": record["type"],
        "severity": record["severity"],
        "priority": record.get("priority", record["severity"]),
        "status": record.get("status"),
        "assignee": record.get("assignee"),
        "overdue": record.get("overdue", False),
        "zone": record["zone"],
        "objects": record["objects"],
        "track": record["track"],
        "started_at": record["started_at"],
        "ended_at": record["ended_at"],
        "snapshot_url": record["snapshot_url"],
        "incident": record,
        **extra,
    }


def publish_incident(bus: EventBus, kind: str, record: dict[str, Any], **extra: Any) -> None:
    bus.publish(incident_message(kind, record, **extra))
