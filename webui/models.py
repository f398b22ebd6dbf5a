"""Response models of the API routes that answer JSON built by other modules (``to_json``), so the
OpenAPI document describes every answer. ``extra="allow"``: a field a stage adds to its ``to_json``
still reaches the client (and should be added here to be documented)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class OpenModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class Health(OpenModel):
    status: str
    database: str


class UserInfo(OpenModel):
    name: str
    role: str
    groups: list[str]
    language: str = "en"
    site: dict[str, Any] | None = None  # GET /api/auth/me: {name, timezone}


class LoginAnswer(OpenModel):
    user: UserInfo
    csrf: str


class Ok(OpenModel):
    ok: bool


class CameraInfo(OpenModel):
    id: str
    name: str
    group: str
    streams: list[str]
    status: dict[str, Any]  # ingest state, stream facts, each stage's facts under its name


class IncidentInfo(OpenModel):
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
    complaint: dict[str, Any] | None = None
    nearest_cameras: list[dict[str, Any]] | None = None
    camera_radius_m: float | None = None


class IncidentPage(OpenModel):
    items: list[IncidentInfo]
    total: int
    page: int
    per_page: int


class LayoutInfo(OpenModel):
    name: str
    grid: int
    tiles: list[Any]
    updated_at: Any


class RecordingsOverview(OpenModel):
    camera_id: str
    start: float
    end: float
    ranges: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    segments: list[dict[str, Any]]


class LiveStats(OpenModel):
    sessions: int
    transcoders: int
    transcoded_viewers: int


class IceServers(OpenModel):
    iceServers: list[dict[str, Any]]  # the WebRTC RTCConfiguration key


def binary(media_type: str, description: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that answers a file or other non-JSON body."""
    return {status: {"content": {media_type: {}}, "description": description}}


# --- the cluster (issue 15): GET /api/cluster ------------------------------------------------------------


class ClusterNodeInfo(OpenModel):
    name: str
    alive: bool  # its lease is running (the database's clock)
    last_seen: str  # ISO 8601 UTC: its last lease renewal
    roles: list[str]
    capacity: int
    cameras: int  # cameras it owns now
    cpu_percent: float | None  # percent of one core its process used between its last two renewals
    advertise_url: str | None
    life: int


class ClusterCameraOwner(OpenModel):
    camera: str
    node: str | None  # None: no live owner (waiting for one)
    epoch: int


class ClusterOverview(OpenModel):
    enabled: bool  # False: one embedded node, no cluster section (nodes and cameras empty)
    node: str | None  # the node answering
    nodes: list[ClusterNodeInfo]
    cameras: list[ClusterCameraOwner]
