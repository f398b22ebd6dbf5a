"""The thin ``data`` of outbox events: an incident's fields, the camera's id, name, group and location,
and links (snapshot, clip, incident) instead of media. Links are paths; the relay puts
``integrations.public_url`` in front when it is set. Never a stream URL or a credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wawai.db.incidents import Incident

INCIDENT_FIELDS = ("id", "rule", "type", "zone", "severity", "objects", "status", "started_at", "ended_at",
                   "priority", "assignee", "updated_at")
# The site's cameras by id, registered by the runtime and the web app (register_cameras), so producers
# that hold no config (the incident workflow, escalation) still send the camera's name, group, location.
_CAMERAS: dict[str, Any] = {}


def register_cameras(cameras: Mapping[str, Any]) -> None:
    _CAMERAS.clear()
    _CAMERAS.update(cameras)
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def camera_info(camera: Any, camera_id: str) -> dict[str, Any]:
    """id, name, group, location of a CameraConfig (or only the id when the camera is unknown)."""
    camera = camera if camera is not None else _CAMERAS.get(camera_id)
    if camera is None:
        return {"id": camera_id, "name": camera_id, "group": None, "location": None}
    location = camera.location.model_dump(exclude_none=True) if camera.location is not None else None
    return {
        "id": camera.id,
        "name": getattr(camera, "display_name", camera.id),
        "group": camera.group,
        "location": location,
    }


def incident_links(incident: Incident) -> dict[str, str | None]:
    clip = None
    if incident.clip_end is not None and incident.camera_id is not None:
        clip = (f"/api/recordings/{incident.camera_id}/clip.mp4"
                f"?start={incident.clip_start:.3f}&end={incident.clip_end:.3f}")
    return {
        "incident": f"/api/incidents/{incident.id}",
        "snapshot": f"/api/incidents/{incident.id}/snapshot.jpg" if incident.snapshot_path else None,
        "clip": clip,
        "cap": f"/api/cap/{incident.id}.xml",
    }


def incident_data(incident: Incident, camera: Any) -> dict[str, Any]:
    """``data`` of incident.* events; ``camera`` is the CameraConfig (None: looked up by id)."""
    record = incident.to_json()
    fields = {name: record.get(name) for name in INCIDENT_FIELDS}
    return {
        "incident": fields,
        "camera": camera_info(camera, incident.camera_id) if incident.camera_id is not None else None,
        "group": incident.group_name,  # a public report's department (it has no camera)
        "links": incident_links(incident),
    }


def complaint_data(incident: Incident) -> dict[str, Any]:
    """``data`` of complaint.created / complaint.updated: the report (never its reporter), its department,
    the incident's workflow state, and links."""
    complaint = incident.complaint
    report = complaint.to_json() if complaint is not None else {}
    return {
        "complaint": {**report, "incident": incident.id, "severity": incident.severity,
                      "status": incident.status, "resolution_note": incident.resolution_note},
        "group": incident.group_name,
        "links": incident_links(incident),
    }


def camera_status_data(camera: Any, camera_id: str, state: str, reason: str | None) -> dict[str, Any]:
    """``data`` of camera.online / camera.offline; ``reason`` is already credential-masked."""
    return {
        "camera": camera_info(camera, camera_id),
        "state": state,
        "reason": reason,
        "links": {"camera": f"/api/cameras/{camera_id}"},
    }


def event_severity(data: dict[str, Any]) -> str | None:
    for section in ("incident", "complaint"):
        value = data.get(section)
        if isinstance(value, dict) and isinstance(value.get("severity"), str):
            return str(value["severity"])
    return None


def event_group(data: dict[str, Any]) -> str | None:
    camera = data.get("camera")
    if isinstance(camera, dict) and camera.get("group"):
        return str(camera["group"])
    group = data.get("group")
    return str(group) if group else None
