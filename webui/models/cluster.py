"""The cluster (issue 15): ``GET /api/cluster``."""

from __future__ import annotations

from pydantic import BaseModel


class ClusterNodeInfo(BaseModel):
    name: str
    alive: bool  # its lease is running (the database's clock)
    last_seen: str  # ISO 8601 UTC: its last lease renewal
    roles: list[str]
    capacity: int
    cameras: int  # cameras it owns now
    cpu_percent: float | None  # percent of one core its process used between its last two renewals
    advertise_url: str | None
    life: int


class ClusterCameraOwner(BaseModel):
    camera: str
    node: str | None  # None: no live owner (waiting for one)
    epoch: int


class ClusterOverview(BaseModel):
    enabled: bool  # False: one embedded node, no cluster section (nodes and cameras empty)
    node: str | None  # the node answering
    nodes: list[ClusterNodeInfo]
    cameras: list[ClusterCameraOwner]
