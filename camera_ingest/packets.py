"""Turning demuxer packets into whole pictures with timestamps that never go backwards.

FFmpeg's RTSP demuxer hands out its first packet without a PTS (part of the first IDR), and a payloader
that inserts SPS/PPS can split one picture into several packets that share a timestamp. Consumers need
whole pictures starting at a clean keyframe, so the assembler drops everything before the first clean
keyframe and merges packets that share a timestamp instead of dropping one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class RawPacket:
    """A demuxed packet, already copied out of the demuxer's buffer."""

    data: bytes
    pts: int | None
    dts: int | None
    keyframe: bool
    duration: int
    wallclock: float


class PictureAssembler:
    """Merges same-timestamp video packets into one picture; waits for the first clean keyframe."""

    def __init__(self) -> None:
        self._pending: RawPacket | None = None
        self._synced = False
        self._previous_pts: int | None = None
        self._seen_any = False
        self.dropped_before_sync = 0

    def feed(self, packet: RawPacket) -> list[RawPacket]:
        """Complete pictures made ready by this packet (the previous picture, once this one differs)."""
        previous_pts, seen_any = self._previous_pts, self._seen_any
        self._previous_pts, self._seen_any = packet.pts, True
        if packet.pts is None:
            # A packet without a timestamp cannot be placed; it also taints what follows it until a
            # new timestamp starts (it may be the first half of that picture).
            self.dropped_before_sync += 1
            return self._flush_list()
        if not self._synced:
            clean_start = packet.keyframe and (
                not seen_any or (previous_pts is not None and previous_pts != packet.pts)
            )
            if not clean_start:
                self.dropped_before_sync += 1
                return []
            self._synced = True
        pending = self._pending
        if pending is not None and pending.pts == packet.pts:
            self._pending = replace(
                pending,
                data=pending.data + packet.data,
                keyframe=pending.keyframe or packet.keyframe,
                duration=max(pending.duration, packet.duration),
            )
            return []
        self._pending = packet
        return [pending] if pending is not None else []

    def flush(self) -> RawPacket | None:
        pending, self._pending = self._pending, None
        return pending

    def _flush_list(self) -> list[RawPacket]:
        pending = self.flush()
        return [pending] if pending is not None else []


def rescale(value: int, source: Fraction, target: Fraction) -> int:
    # Identity first: RTSP video is always on the 90 kHz clock, and Fraction arithmetic (even ==) costs
    # microseconds per call, a visible share of ingest's per-picture work.
    if source is target or source == target:
        return value
    return round(value * source / target)


def to_seconds(value: int, time_base: Fraction) -> float:
    """``float(value * time_base)`` without building a Fraction (int / int is exactly rounded: same float)."""
    return value * time_base.numerator / time_base.denominator


class TimestampRebaser:
    """Maps one source's timestamps onto a timeline that never goes backwards.

    Within one connection (or one pass over a file) timestamps keep their spacing. After a
    ``discontinuity()`` (reconnect, file loop) or a source jump backwards, the next packet is placed
    after the last one by the wall-clock time that passed (at least one frame), so a gap in the
    camera shows up as a gap in time.
    """

    def __init__(self, time_base: Fraction, default_step: int = 1) -> None:
        self.time_base = time_base
        self._offset: int | None = None
        self._last_dts: int | None = None
        self._max_pts: int | None = None
        self._last_wallclock: float | None = None
        self._step = max(1, default_step)

    def discontinuity(self) -> None:
        self._offset = None

    def rebase(self, pts: int, dts: int, source_tb: Fraction, wallclock: float) -> tuple[int, int]:
        pts = rescale(pts, source_tb, self.time_base)
        dts = rescale(dts, source_tb, self.time_base)
        if self._offset is not None and self._last_dts is not None and dts + self._offset <= self._last_dts:
            self._offset = None  # the source jumped backwards (or repeated): re-anchor
        if self._offset is None:
            self._offset = self._anchor(pts, dts, wallclock)
        out_pts, out_dts = pts + self._offset, dts + self._offset
        if self._last_dts is not None and out_dts > self._last_dts:
            self._step = out_dts - self._last_dts
        self._last_dts = out_dts
        self._max_pts = out_pts if self._max_pts is None else max(self._max_pts, out_pts)
        self._last_wallclock = wallclock
        return out_pts, out_dts

    def _anchor(self, pts: int, dts: int, wallclock: float) -> int:
        if self._last_dts is None or self._max_pts is None or self._last_wallclock is None:
            return -dts
        elapsed = round((wallclock - self._last_wallclock) / self.time_base)
        gap = max(self._step, elapsed)
        return max(self._last_dts + gap - dts, self._max_pts + gap - pts)
