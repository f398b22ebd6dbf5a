"""Recordings, activity, live view counters and ICE servers, wall layouts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class TimeRange(BaseModel):
    start: float
    end: float


class RecordingGap(TimeRange):
    reason: str  # "offline", "stall", "disk_error", "stream_error", "stopped", "not_recorded"


class Segment(BaseModel):
    camera_id: str
    start: float
    end: float
    bytes: int
    path: str
    codec: str
    live: bool
    id: int | None
    width: int | None
    height: int | None
    frames: int | None
    init_bytes: int | None
    duration: float


class RecordingsOverview(BaseModel):
    camera_id: str
    start: float
    end: float
    ranges: list[TimeRange]
    gaps: list[RecordingGap]
    segments: list[Segment]


class Activity(BaseModel):
    camera_id: str
    start: float
    end: float
    minutes: list[list[float | int]]  # [minute, frames, motion_frames, detections]


class LiveStats(BaseModel):
    sessions: int
    transcoders: int
    transcoded_viewers: int


class IceServers(BaseModel):
    iceServers: list[dict[str, Any]]  # the WebRTC RTCConfiguration key, as browsers take it


class LayoutInfo(BaseModel):
    name: str
    grid: int
    tiles: list[str | None]  # camera id per tile, reading order
    updated_at: datetime
