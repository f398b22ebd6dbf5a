"""Incidents: the search page, one incident, its history, bulk actions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from webui.models.common import OpenModel


class ComplaintInfo(BaseModel):
    """A public report behind an incident (wawai.db.complaints.Complaint.to_json): never the reporter."""

    id: int
    service_code: str
    service_name: str
    description: str
    lat: float | None
    lon: float | None
    address: str | None
    media_url: str | None
    attributes: dict[str, Any]  # the service's own questions and their answers
    requested_at: str


class NearCamera(BaseModel):
    id: str
    name: str
    distance_m: float
    covers: bool | None  # in the camera's field of view; None: its heading or field of view is unknown


class IncidentInfo(OpenModel):
    """``present()`` of webui.incident_filters. Routes answer it with ``response_model_exclude_unset``,
    so a field a route does not fill (``seen``, ``actions``, ``nearest_cameras``) is left out, not null."""

    id: int
    camera: str | None  # None: a public report (Open311), seen by its department's group
    rule: str
    type: str
    zone: str | None
    severity: str
    objects: list[str]
    track: int | None
    started_at: str
    ended_at: str | None
    status: str
    clip_start: float
    clip_end: float | None
    detail: dict[str, Any]
    snapshot_url: str | None
    priority: str | None = None
    assignee: str | None = None
    overdue: bool | None = None
    acknowledged_at: str | None = None
    escalated_at: str | None = None
    updated_at: str | None = None
    resolution_note: str | None = None
    locked: bool | None = None
    locked_by: str | None = None
    group: str | None = None
    source: str | None = None
    complaint: ComplaintInfo | None = None
    # Added by the routes, in the order they add them (the answers keep their key order).
    camera_name: str | None = None
    seen: bool | None = None  # the caller's own mark (lists and one incident)
    actions: list[str] | None = None  # what the caller may do now (one incident, workflow answers)
    camera_radius_m: int | float | None = None
    nearest_cameras: list[NearCamera] | None = None  # a complaint with a place


class IncidentPage(BaseModel):
    items: list[IncidentInfo]
    total: int
    page: int
    per_page: int


class HistoryEntry(BaseModel):
    id: int
    incident: int
    at: str
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None
    detail: dict[str, Any]


class BulkSkipped(BaseModel):
    id: int
    reason: str


class BulkAnswer(BaseModel):
    action: str
    applied: list[int]
    skipped: list[BulkSkipped]
