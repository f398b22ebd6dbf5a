"""One fragmented MP4 segment being written by stream copy.

Output streams are rebuilt from ``wawai.media.CodecParams`` (codec name, extradata, size): PyAV 18 can set
extradata only through a codec context. A video stream is made from a template stream of its codec (so no
encoder is opened) and its context is given the size and the camera's extradata; an audio stream's
context is opened as a holder of the parameters. No frame is ever decoded or encoded: packets go
straight to the muxer.

Fragmented MP4 (``frag_keyframe+empty_moov+default_base_moof``) stays readable up to its last complete
fragment after a crash; ``frag_duration`` cuts a fragment at least every second and ``flush_packets``
hands each fragment to the file at once, so a crash loses about a second and a half at most (the
recorder thread hands packets to the muxer every half second).
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.container import OutputContainer
from av.stream import Stream

from wawai.media import CodecParams, MediaPacket
from wawai.mp4_boxes import init_size

MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
FRAGMENT_MICROSECONDS = 1_000_000
START_TAG = "wawai_start="  # in the file's comment: the exact start time, read back by crash recovery


@dataclass(frozen=True, slots=True)
class FinishedFile:
    path: Path
    start: float
    end: float
    bytes: int
    codec: str
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    init_bytes: int | None = None  # ftyp + moov, the part HLS maps (None: not a readable fMP4)


_templates: dict[str, Stream] = {}
_templates_lock = threading.Lock()


def _video_template(codec: str) -> Stream:
    """A stream of ``codec`` in an output that is never written, kept for the process.

    A stream made from a template is not opened as an encoder when its file starts: opening libx264 /
    libx265 only to hold the stream parameters took 3-8 ms per segment (x265 more), the largest part of
    a camera's recording CPU. The template gives the codec only; each segment sets the rest.
    """
    with _templates_lock:
        template = _templates.get(codec)
        if template is None:
            holder = av.open(io.BytesIO(), "w", format="mp4")
            template = _templates[codec] = holder.add_stream(codec, rate=None)
        return template


def _add_stream(container: OutputContainer, params: CodecParams) -> Stream:
    if params.kind == "video":
        stream: Stream = container.add_stream_from_template(_video_template(params.codec))
        video = stream.codec_context
        assert isinstance(video, av.VideoCodecContext)
        video.width = params.width
        video.height = params.height
        video.pix_fmt = "yuv420p"
        video.time_base = params.time_base
        stream.time_base = params.time_base
        video.extradata = params.extradata
        return stream
    stream = container.add_stream(params.codec, rate=params.sample_rate or None)
    ctx = stream.codec_context
    ctx.time_base = params.time_base
    stream.time_base = params.time_base
    ctx.open()
    # After open() so the camera's parameter sets replace the ones the opened context made up.
    ctx.extradata = params.extradata
    return stream


class SegmentFile:
    """Writes the packets of one segment; timestamps are rebased so the file starts at zero."""

    def __init__(self, path: Path, start: float, video: CodecParams, audio: CodecParams | None,
                 first_dts: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.start = start
        self.video_params = video
        self.audio_params = audio
        self._video_offset = first_dts
        self._audio_offset = 0
        self.container = av.open(
            str(path),
            "w",
            format="mp4",
            options={
                "movflags": MOVFLAGS,
                "frag_duration": str(FRAGMENT_MICROSECONDS),
                "flush_packets": "1",
                # Without this the interleaver may hold video for 10 s waiting for a silent audio stream.
                "max_interleave_delta": str(FRAGMENT_MICROSECONDS),
            },
        )
        self.container.metadata["comment"] = f"{START_TAG}{start:.6f}"
        self._video = _add_stream(self.container, video)
        self._audio: Stream | None = None
        if audio is not None:
            self._audio = _add_stream(self.container, audio)
            first_seconds = first_dts * video.time_base
            self._audio_offset = int(first_seconds / audio.time_base)
        self.last_video_end = first_dts  # dts + duration of the last video packet (source time base)
        self.audio_dropped = 0
        self.frames = 0

    def write(self, packet: MediaPacket) -> None:
        if packet.kind == "video":
            stream, offset = self._video, self._video_offset
        elif self._audio is not None:
            stream, offset = self._audio, self._audio_offset
        else:
            return
        dts = packet.dts - offset
        if dts < 0:
            # Audio captured just before the cut that arrived after it: it belongs to the previous file,
            # which is closed. Dropping it loses at most one audio frame at a cut.
            self.audio_dropped += 1
            return
        out = av.Packet(packet.data)
        out.stream = stream
        out.time_base = packet.time_base
        out.pts = packet.pts - offset
        out.dts = dts
        out.is_keyframe = packet.keyframe
        if packet.duration:
            out.duration = packet.duration
        self.container.mux(out)
        if packet.kind == "video":
            self.frames += 1
            self.last_video_end = max(self.last_video_end, packet.dts + packet.duration)

    def close(self, end: float) -> FinishedFile:
        """Write the last fragment and close; ``end`` is the time the next segment starts at."""
        self.container.close()
        video = self.video_params
        return FinishedFile(self.path, self.start, end, os.path.getsize(self.path), video.codec,
                            width=video.width or None, height=video.height or None, frames=self.frames,
                            init_bytes=init_size(self.path))

    def abandon(self) -> None:
        """Close after a write error, ignoring further errors (the disk may still be full)."""
        with contextlib.suppress(OSError, av.FFmpegError, ValueError):
            self.container.close()


def seconds(value: int, time_base: Fraction) -> float:
    """``float(value * time_base)`` without building a Fraction (called per packet; the same float, since
    int / int is exactly rounded)."""
    return value * time_base.numerator / time_base.denominator
