"""Camera status as ingest reports it and the API shows it. Never holds a URL or a credential."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class CameraState(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    ERROR = "error"


@dataclass(slots=True)
class StreamStats:
    """Facts measured on one stream (main or sub) of a camera."""

    state: CameraState = CameraState.CONNECTING
    last_error: str | None = None  # already credential-masked
    codec: str | None = None
    profile: str | None = None
    width: int = 0
    height: int = 0
    fps: float | None = None
    bitrate_kbps: float | None = None
    keyframe_interval: float | None = None
    b_frames: bool = False
    audio_codec: str | None = None
    reconnects: int = 0
    online_since: float | None = None
    last_packet_at: float | None = None
    drops: dict[str, int] = field(default_factory=dict)  # subscriber name -> dropped items


@dataclass(slots=True)
class CameraStatus:
    camera_id: str
    state: CameraState
    streams: dict[str, StreamStats]
    # Other stages add their own facts here under their name ("recording", "analytics").
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = str(self.state)
        for stats in data["streams"].values():
            stats["state"] = str(stats["state"])
        return data
