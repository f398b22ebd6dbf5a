"""MediaPackets from the shared clips (demuxed with PyAV, no network) and decoded-frame helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import pytest
from av.bitstream import BitStreamFilterContext

from wawai.assets import find_asset
from wawai.media import CodecParams, MediaPacket

VTEST_30S = "video/vtest_640x480_30s_h264.mp4"
RECORDED_START = 1764324000.0  # 2025-11-28 10:00:00 UTC: where the ``recorded`` fixture puts its 30 s


def clip(relative: str = VTEST_30S) -> Path:
    path = find_asset(relative)
    if path is None:
        pytest.skip(f"shared asset {relative} not found")
    return path


def video_params(stream: av.video.stream.VideoStream) -> CodecParams:
    ctx = stream.codec_context
    assert stream.time_base is not None
    return CodecParams(kind="video", codec=ctx.name, time_base=Fraction(stream.time_base),
                       extradata=ctx.extradata, width=ctx.width, height=ctx.height)


def media_packets(path: Path, wallclock_start: float, *, loops: int = 1,
                  in_band: bool = False) -> Iterator[MediaPacket]:
    """The clip's video packets as ingest would hand them over, with wall clock = start + stream time.

    ``in_band``: Annex-B packets with SPS/PPS before each keyframe and no extradata, as from a camera
    whose SDP carries no parameter sets.
    """
    offset_seconds = 0.0
    for _ in range(loops):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            params = video_params(stream)
            if in_band:
                params = replace(params, extradata=None)
                annexb = BitStreamFilterContext("h264_mp4toannexb", stream)
            tb = params.time_base
            offset = round(offset_seconds / tb)
            last_end = 0
            for packet in (p for raw in container.demux(stream) for p in
                           (annexb.filter(raw) if in_band and raw.size else [raw])):
                if packet.dts is None or packet.pts is None:
                    continue
                pts, dts = packet.pts + offset, packet.dts + offset
                last_end = max(last_end, pts + (packet.duration or 0))
                yield MediaPacket(kind="video", data=bytes(packet), pts=pts, dts=dts, time_base=tb,
                                  keyframe=packet.is_keyframe, params=params,
                                  wallclock=wallclock_start + float(pts * tb), duration=packet.duration or 0)
            offset_seconds = float(last_end * tb)


def frame_hashes(path: Path) -> list[str]:
    """SHA-1 of every decoded picture of a file, in presentation order."""
    with av.open(str(path)) as container:
        return [hashlib.sha1(frame.to_ndarray(format="yuv420p").tobytes()).hexdigest()
                for frame in container.decode(video=0)]


def duration_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        assert container.duration is not None
        return float(container.duration / av.time_base)
