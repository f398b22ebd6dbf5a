"""``wawai camera probe``: open a stream once, read a few seconds, and say what it is."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import av

from camera_ingest.source import SourceError, Timeouts, check_reachable, describe_error, is_file, open_source
from wawai.logs import mask_url


@dataclass(frozen=True)
class ProbeResult:
    url: str  # masked
    codec: str
    profile: str | None
    width: int
    height: int
    fps: float | None
    keyframe_interval: float | None  # seconds, measured between two keyframes
    b_frames: bool
    audio_codec: str | None
    bitrate_kbps: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        def show(value: object, unit: str = "") -> str:
            return "unknown" if value is None else f"{value}{unit}"

        return [
            f"url:               {self.url}",
            f"video:             {self.codec} ({self.profile or 'profile unknown'})",
            f"resolution:        {self.width}x{self.height}",
            f"fps:               {show(self.fps)}",
            f"keyframe interval: {show(self.keyframe_interval, ' s')}",
            f"B-frames:          {'yes' if self.b_frames else 'no'}",
            f"audio:             {self.audio_codec or 'none'}",
            f"bitrate:           {show(self.bitrate_kbps, ' kbit/s')}",
        ]


def probe(url: str, *, timeout: float = 5.0, seconds: float = 10.0) -> ProbeResult:
    """Facts of one stream; raises ``SourceError`` with a one-line, credential-free reason."""
    if not is_file(url):
        check_reachable(url, timeout)
    container = open_source(url, Timeouts(open=timeout, read=timeout))
    try:
        return _measure(url, container, seconds)
    except SourceError:
        raise
    except Exception as exc:
        raise describe_error(exc, url) from None
    finally:
        container.close()


def _measure(url: str, container: av.container.InputContainer, seconds: float) -> ProbeResult:
    if not container.streams.video:
        raise SourceError(f"not a video stream: no video track in {mask_url(url)}", permanent=True)
    video = container.streams.video[0]
    ctx = video.codec_context
    audio = next((s.codec_context.name for s in container.streams.audio if s.codec_context.name), None)
    time_base = video.time_base
    assert time_base is not None
    b_frames = bool(ctx.has_b_frames)
    pts_seen: list[int] = []
    keyframes: list[int] = []
    size = 0
    max_pts: int | None = None
    deadline = time.monotonic() + seconds
    for packet in container.demux(video):
        if packet.size == 0 or packet.pts is None:
            continue
        if pts_seen and packet.pts == pts_seen[-1]:
            continue  # another slice of the same picture
        if max_pts is not None and packet.pts < max_pts:
            b_frames = True  # decode order differs from presentation order
        max_pts = packet.pts if max_pts is None else max(max_pts, packet.pts)
        pts_seen.append(packet.pts)
        size += packet.size
        if packet.is_keyframe:
            keyframes.append(packet.pts)
        if len(keyframes) >= 2 or time.monotonic() > deadline:
            break
    ordered = sorted(set(pts_seen))
    span = float((ordered[-1] - ordered[0]) * time_base) if len(ordered) > 1 else 0.0
    fps = round((len(ordered) - 1) / span, 2) if span > 0 else _declared_fps(video)
    interval = round(float((keyframes[-1] - keyframes[-2]) * time_base), 3) if len(keyframes) >= 2 else None
    return ProbeResult(
        url=mask_url(url),
        codec=ctx.name,
        profile=ctx.profile,
        width=ctx.width,
        height=ctx.height,
        fps=fps,
        keyframe_interval=interval,
        b_frames=b_frames,
        audio_codec=audio,
        bitrate_kbps=round(size * 8 / span / 1000, 1) if span > 0 else None,
    )


def _declared_fps(stream: av.video.stream.VideoStream) -> float | None:
    rate = stream.average_rate or stream.base_rate
    return round(float(rate), 2) if rate else None
