"""Joining recorded segments into one faststart MP4 by stream copy.

The clip starts on the keyframe at or before the requested start (a clip cannot start between
keyframes without re-encoding) and ends with the last frame before the requested end. Timestamps are
placed by each segment's indexed start time, so a hole in the recording stays a hole in the clip's
timeline instead of being glued shut. If the camera changed its stream (codec, size, parameter sets)
inside the range, the clip stops where it changed: one MP4 track cannot switch parameters.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import av
from av.container import InputContainer

from wawai.recordings import ClipResult, NothingRecorded, SegmentView

log = logging.getLogger(__name__)


def _stream_key(container: InputContainer) -> tuple[object, ...]:
    video = container.streams.video[0]
    ctx = video.codec_context
    return ctx.name, ctx.width, ctx.height, ctx.extradata


def _video_zero(path: Path) -> float:
    """Stream seconds of a segment's first picture: the segment's indexed start time."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.time_base is not None
        for packet in container.demux(video):
            if packet.pts is not None:
                return float(packet.pts * video.time_base)
    raise ValueError(f"{path} holds no video")


def _keyframe_at_or_before(path: Path, segment_start: float, wanted: float) -> float:
    """Absolute time of the last keyframe at or before ``wanted`` in one segment (its start otherwise)."""
    best = segment_start
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.time_base is not None
        zero: int | None = None
        for packet in container.demux(video):
            if packet.pts is None:
                continue
            if zero is None:
                zero = packet.pts
            at = segment_start + float((packet.pts - zero) * video.time_base)
            if at > wanted:
                break
            if packet.is_keyframe:
                best = at
    return best


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def join_segments(storage: Path, segments: Sequence[SegmentView], start: float, end: float,
                  output: Path) -> ClipResult:
    if not segments:
        raise NothingRecorded(f"nothing recorded between {start} and {end}")
    first = segments[0]
    origin = _keyframe_at_or_before(storage / first.path, first.start, start)
    output.parent.mkdir(parents=True, exist_ok=True)
    temp = output.with_name(output.name + ".part")
    last_end = origin
    try:
        with av.open(str(temp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            key: tuple[object, ...] | None = None
            mapping: dict[str, av.stream.Stream] = {}
            last_dts: dict[str, int] = {}
            for segment in segments:
                zero = _video_zero(storage / segment.path)
                with av.open(str(storage / segment.path)) as source:
                    if key is None:
                        key = _stream_key(source)
                        for stream in (source.streams.video[:1] + source.streams.audio[:1]):
                            mapping[stream.type] = out.add_stream_from_template(stream)
                    elif _stream_key(source) != key:
                        log.info("clip stops at %s: the camera's stream changed there", segment.path)
                        break
                    kept = [s for s in source.streams if s.type in mapping]
                    for packet in source.demux(kept):
                        if packet.pts is None or packet.dts is None or packet.time_base is None:
                            continue
                        kind = packet.stream.type
                        tb = packet.time_base
                        at = segment.start + float(packet.pts * tb) - zero
                        if at < origin - 1e-6 or at >= end:
                            continue
                        dts_at = segment.start + float(packet.dts * tb) - zero
                        out_stream = mapping[kind]
                        dts = round((dts_at - origin) / tb)
                        dts = max(dts, last_dts.get(kind, -(1 << 62)) + 1)
                        pts = max(round((at - origin) / tb), dts)
                        last_dts[kind] = dts
                        if kind == "video":
                            last_end = max(last_end, at + float((packet.duration or 0) * tb))
                        packet.stream = out_stream
                        packet.pts, packet.dts = pts, dts
                        out.mux(packet)
        os.replace(temp, output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return ClipResult(path=output, sha256=sha256_of(output), start=origin, end=last_end,
                      duration=last_end - origin, bytes=output.stat().st_size)
