"""Cameras: the list with live status, the health page's figures and samples, the map's settings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from webui.models.common import OpenModel


class CameraPlace(BaseModel):
    lat: float
    lon: float
    heading: float | None = None
    fov: float | None = None
    address: str | None = None


class CameraInfo(OpenModel):
    id: str
    name: str
    group: str
    streams: list[str]
    # Open on purpose: ingest state, stream facts, and each stage's own facts under its name.
    status: dict[str, Any]
    location: CameraPlace | None = None


class CameraHealth(OpenModel):
    """One camera's figures now (wawai.camera_health.CameraFacts) plus what the health page shows."""

    camera_id: str
    state: str
    fps: float | None
    configured_fps: float | None
    bitrate_kbps: float | None
    keyframe_interval: float | None
    reconnects: int
    last_error: str | None
    drops: int
    recording: str | None
    recorder_drops: int
    detector_requests: int | None
    detector_queue_ms: float | None
    detector_inference_ms: float | None
    name: str
    group: str
    storage_bytes: int
    gap_minutes_24h: float


class CameraHealthPage(BaseModel):
    cameras: list[CameraHealth]
    retain_days: int | float  # as configured: a default of 7 answers 7, not 7.0
    sample_seconds: int | float


class HealthSamples(BaseModel):
    camera_id: str
    columns: list[str]
    samples: list[list[float | int | None]]  # one row per minute, in ``columns`` order


class MapPlan(BaseModel):
    url: str
    south_west: list[float]
    north_east: list[float]


class MapSettings(BaseModel):
    tile_url: str | None
    attribution: str
    max_zoom: int
    center: list[float] | None
    zoom: int
    image: MapPlan | None
    timezone: str
    camera_radius_m: int | float
