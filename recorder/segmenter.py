"""Cutting one camera's packets into segment files that start on keyframes and meet without gaps.

Times: ingest's timestamps keep their spacing and jump by the wall-clock time that passed across a
reconnect, so a segment's start is ``anchor + pts`` where ``anchor`` (wall clock minus stream time) is
fixed at the first keyframe of a run. Consecutive segments of one run share the anchor, so one ends
exactly where the next starts. A run ends (and a gap starts) when the stream time jumps, when it drifts
from the wall clock by more than ``GAP_SECONDS``, or when the owner calls ``finish`` (stall, stop).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from recorder.parameter_sets import parameter_sets
from recorder.paths import segment_path
from recorder.segment_file import FinishedFile, SegmentFile, seconds
from wawai.media import CodecParams, MediaPacket

log = logging.getLogger(__name__)

GAP_SECONDS = 2.5
KEPT_AUDIO = frozenset({"aac"})


def _pts_seconds(packet: MediaPacket) -> float:
    return seconds(packet.pts, packet.time_base)  # == packet.pts_seconds, without a Fraction per packet


def _same_stream(a: CodecParams, b: CodecParams) -> bool:
    return (a.codec, a.extradata, a.width, a.height, a.time_base) == (b.codec, b.extradata, b.width,
                                                                       b.height, b.time_base)


class Segmenter:
    def __init__(self, storage: Path, camera_id: str, segment_seconds: float,
                 on_finished: Callable[[FinishedFile], None]) -> None:
        self.storage = storage
        self.camera_id = camera_id
        self.segment_seconds = segment_seconds
        self.on_finished = on_finished
        self.current: SegmentFile | None = None
        self._anchor: float | None = None  # wall clock minus stream seconds, for the current run
        self._segment_start_pts = 0.0  # stream seconds of the current segment's first keyframe
        self._last_pts: int | None = None
        self._step = 0  # the last spacing between video frames (source time base)
        self._audio: CodecParams | None = None
        self._audio_refused: str | None = None
        self._broken: SegmentFile | None = None  # a segment whose close() failed (disk full)
        self._params: CodecParams | None = None  # the video parameters as ingest gave them, this segment

    @property
    def current_path(self) -> Path | None:
        return self.current.path if self.current is not None else None

    def feed(self, packet: MediaPacket) -> None:
        """Write one packet; raises OSError or av.FFmpegError when the disk refuses (see ``abandon``)."""
        if packet.kind == "audio":
            self._feed_audio(packet)
            return
        if self.current is not None and self._breaks_run(packet):
            # The next run starts at this packet's wall clock: the ending segment may not reach past it.
            # (A run whose first keyframe arrived late runs ahead of the wall clock, e.g. while a B-frame
            # stream's reordering is not known yet; ending at its last frame would overlap the next run.)
            self.finish(until=packet.wallclock)
        if self.current is None:
            if not packet.keyframe:
                return  # a file must start on a keyframe
            self._open(packet)
        elif packet.keyframe and self._cut_due(packet):
            end = self._time_of(packet)
            self._close(end)
            self._open(packet)
        assert self.current is not None
        self.current.write(packet)
        if self._last_pts is not None and packet.pts > self._last_pts:
            self._step = packet.pts - self._last_pts
        self._last_pts = packet.pts

    def finish(self, until: float | None = None) -> FinishedFile | None:
        """Close the current segment at its last frame (or at ``until``, if earlier); the next packet
        starts a new run."""
        if self.current is None:
            return None
        end = self._end_of_last_frame()
        if until is not None:
            end = max(self.current.start, min(end, until))
        finished = self._close(end)
        self._anchor = None
        self._last_pts = None
        return finished

    def abandon(self) -> Path | None:
        """Drop the current file after a write error; the caller repairs or deletes what reached disk."""
        current = self.current or self._broken
        self.current = self._broken = None
        self._anchor = None
        self._last_pts = None
        if current is None:
            return None
        current.abandon()
        return current.path

    def _feed_audio(self, packet: MediaPacket) -> None:
        if packet.params.codec not in KEPT_AUDIO:
            if self._audio_refused != packet.params.codec:
                self._audio_refused = packet.params.codec
                log.info("camera %s: %s audio is not recorded (only AAC is kept in MP4)", self.camera_id,
                         packet.params.codec)
            return
        self._audio = packet.params
        if self.current is not None and self.current.audio_params is not None:
            self.current.write(packet)

    def _breaks_run(self, packet: MediaPacket) -> bool:
        assert self._anchor is not None and self.current is not None
        if self._params is None or not _same_stream(packet.params, self._params):
            return packet.keyframe
        jump = seconds(packet.pts - self._last_pts, packet.time_base) if self._last_pts is not None else 0.0
        if jump > GAP_SECONDS:
            return True
        if not packet.keyframe:
            return False
        return abs(packet.wallclock - self._time_of(packet)) > GAP_SECONDS

    def _cut_due(self, packet: MediaPacket) -> bool:
        half_frame = seconds(self._step, packet.time_base) / 2
        return _pts_seconds(packet) - self._segment_start_pts >= self.segment_seconds - half_frame

    def _time_of(self, packet: MediaPacket) -> float:
        assert self._anchor is not None
        return self._anchor + _pts_seconds(packet)

    def written_until(self) -> float | None:
        """End time of the last frame handed to the current segment (read from other threads)."""
        current, anchor, last = self.current, self._anchor, self._last_pts
        if current is None or anchor is None or last is None:
            return None
        return anchor + seconds(last + self._step, current.video_params.time_base)

    def _end_of_last_frame(self) -> float:
        assert self.current is not None and self._anchor is not None
        params = self.current.video_params
        if self._last_pts is None:
            return self.current.start
        last = max(self.current.last_video_end, self._last_pts + self._step)
        return self._anchor + seconds(last, params.time_base)

    def _open(self, keyframe: MediaPacket) -> None:
        if self._anchor is None:
            self._anchor = keyframe.wallclock - _pts_seconds(keyframe)
        start = self._time_of(keyframe)
        self._segment_start_pts = _pts_seconds(keyframe)
        path = segment_path(self.storage, self.camera_id, start)
        params = self._params = keyframe.params
        if params.extradata is None:
            params = replace(params, extradata=parameter_sets(keyframe.data, params.codec))
        self.current = SegmentFile(path, start, params, self._audio, keyframe.dts)

    def _close(self, end: float) -> FinishedFile:
        assert self.current is not None
        current, self.current = self.current, None
        try:
            finished = current.close(end)
        except BaseException:
            self._broken = current
            raise
        self.on_finished(finished)
        return finished
