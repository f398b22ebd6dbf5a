"""Joining recorded segments into one faststart MP4 by stream copy.

The clip starts on the keyframe at or before the requested start (a clip cannot start between
keyframes without re-encoding) and ends with the last frame before the requested end. Timestamps are
placed by each segment's indexed start time, so a hole in the recording stays a hole in the clip's
timeline instead of being glued shut. If the camera changed its stream (codec, size, parameter sets)
inside the range, the clip stops where it changed: one MP4 track cannot switch parameters.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import av
from av.container import InputContainer

from wawai.files import sha256_of
from wawai.recordings import ClipResult, NothingRecorded, SegmentView

log = logging.getLogger(__name__)


def _stream_key(container: InputContainer) -> tuple[object, ...]:
    video = container.streams.video[0]
    ctx = video.codec_context
    return ctx.name, ctx.width, ctx.height, ctx.extradata


def _video_zero(path: Path) -> float | None:
    """Stream seconds of a segment's first picture (its indexed start time); None before any picture
    reached the disk (a segment that has just started)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.time_base is not None
        for packet in container.demux(video):
            if packet.pts is not None:
                return float(packet.pts * video.time_base)
    return None


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


class _Clip:
    """The output file and what it needs to place each stream's packets after the previous ones."""

    def __init__(self, out: av.container.OutputContainer, origin: float, end: float) -> None:
        self.out = out
        self.origin = origin
        self.end = end
        self.key: tuple[object, ...] | None = None
        self.streams: dict[str, av.stream.Stream] = {}
        self.last_dts: dict[str, int] = {}
        self.last_end = origin

    def add(self, storage: Path, segment: SegmentView) -> bool:
        """Copy the segment's packets inside [origin, end); False when the camera's stream changed."""
        zero = _video_zero(storage / segment.path)
        if zero is None:
            return True
        with av.open(str(storage / segment.path)) as source:
            if self.key is None:
                self.key = _stream_key(source)
                for stream in source.streams.video[:1] + source.streams.audio[:1]:
                    self.streams[stream.type] = self.out.add_stream_from_template(stream)
            elif _stream_key(source) != self.key:
                log.info("clip stops at %s: the camera's stream changed there", segment.path)
                return False
            packets = source.demux([s for s in source.streams if s.type in self.streams])
            try:
                for packet in packets:
                    if packet.is_corrupt:
                        break  # the end of a segment still being written: its last fragment is incomplete
                    self._copy(packet, segment.start - zero)
            except av.FFmpegError as exc:
                log.info("clip stops inside %s: %s", segment.path, exc)
        return True

    def _copy(self, packet: av.Packet, offset: float) -> None:
        if packet.pts is None or packet.dts is None or packet.time_base is None:
            return
        kind, tb = packet.stream.type, packet.time_base
        at = offset + float(packet.pts * tb)
        if at < self.origin - 1e-6 or at >= self.end:
            return
        dts = round((offset + float(packet.dts * tb) - self.origin) / tb)
        dts = max(dts, self.last_dts.get(kind, -(1 << 62)) + 1)
        self.last_dts[kind] = dts
        if kind == "video":
            self.last_end = max(self.last_end, at + float((packet.duration or 0) * tb))
        packet.stream = self.streams[kind]
        packet.pts, packet.dts = max(round((at - self.origin) / tb), dts), dts
        self.out.mux(packet)


def join_segments(storage: Path, segments: Sequence[SegmentView], start: float, end: float,
                  output: Path) -> ClipResult:
    if not segments:
        raise NothingRecorded(f"nothing recorded between {start} and {end}")
    first = segments[0]
    origin = _keyframe_at_or_before(storage / first.path, first.start, start)
    output.parent.mkdir(parents=True, exist_ok=True)
    temp = output.with_name(output.name + ".part")
    try:
        with av.open(str(temp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            clip = _Clip(out, origin, end)
            for segment in segments:
                if not clip.add(storage, segment):
                    break
            if clip.key is None:
                raise NothingRecorded(f"no picture on disk yet between {start} and {end}")
        os.replace(temp, output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return ClipResult(path=output, sha256=sha256_of(output), start=origin, end=clip.last_end,
                      duration=clip.last_end - origin, bytes=output.stat().st_size)
