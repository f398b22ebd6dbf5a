"""Media types that cross stage boundaries: stream facts, packets and decoded frames.

Packets carry their payload as ``bytes`` (a copy of the demuxer's buffer) so a consumer on another thread
can hold them after the source container has closed or reconnected. Timestamps are rebased by ingest so
they never go backwards for the lifetime of a stream, across reconnects and file loops.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

MediaKind = Literal["video", "audio"]


@dataclass(frozen=True, slots=True)
class CodecParams:
    """What a muxer or decoder needs to rebuild a stream without the source container."""

    kind: MediaKind
    codec: str  # FFmpeg codec name: "h264", "hevc", "aac", ...
    time_base: Fraction
    extradata: bytes | None = None
    width: int = 0
    height: int = 0
    profile: str | None = None
    sample_rate: int = 0
    channels: int = 0
    has_b_frames: bool = False


@dataclass(frozen=True, slots=True)
class StreamFacts:
    """What a probe or a running session knows about one stream URL."""

    video: CodecParams | None
    audio: CodecParams | None
    fps: float | None = None
    keyframe_interval: float | None = None  # seconds between IDRs, measured

    @property
    def passthrough_ok(self) -> bool:
        """Whether browsers can be fed this video as-is (H.264 without B-frames)."""
        return self.video is not None and self.video.codec == "h264" and not self.video.has_b_frames


@dataclass(frozen=True, slots=True)
class MediaPacket:
    """One compressed access unit (a whole picture for video), as ingest hands it to consumers."""

    kind: MediaKind
    data: bytes
    pts: int
    dts: int
    time_base: Fraction
    keyframe: bool
    params: CodecParams
    wallclock: float = field(default_factory=time.time)  # when ingest received it (epoch seconds)
    duration: int = 0

    @property
    def pts_seconds(self) -> float:
        return float(self.pts * self.time_base)


BGRImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """A decoded BGR frame, produced only while a frame subscriber exists."""

    camera_id: str
    stream: str
    image: BGRImage
    pts_seconds: float
    wallclock: float  # capture time: when the picture's first packet arrived (epoch seconds)
    seq: int
