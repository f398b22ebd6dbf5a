"""One camera's recording thread: packets from the hub into segments, disk errors, gaps and state.

A disk error (full, no permission) stops this camera's writing, not the thread: the error is logged
once, shown in the camera's recording state, retention is woken to free space, and every
``RETRY_SECONDS`` the next keyframe tries a new segment. Other cameras have their own threads.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av

from recorder.index import SegmentIndex
from recorder.paths import relative_to_storage
from recorder.recovery import CannotWrite, repair_segment
from recorder.segment_file import FinishedFile
from recorder.segmenter import Segmenter
from wawai.db.recordings import CONTIGUOUS_SECONDS
from wawai.hub import PacketSubscription, StreamHub
from wawai.media import MediaPacket
from wawai.queues import Closed
from wawai.recordings import SegmentView
from wawai.status import CameraState

log = logging.getLogger(__name__)

IDLE_SECONDS = 3.0  # no packet for this long: close the segment so it is complete on disk
RETRY_SECONDS = 2.0
BATCH_SECONDS = 0.5  # 0.2 cost 0.08 % of a core per camera in wake-ups, 0.5: 0.057 (bench/record.py)
WRITE_ERRORS = ("disk_error", "stream_error")
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO,
                         errno.ENOTDIR, errno.ENOENT, errno.EISDIR, errno.EEXIST, errno.EFBIG, errno.ENODEV})
QUEUE_PACKETS = 1024  # about a minute of video at 15 fps; a slow disk drops whole GOPs beyond that


class CameraRecorder:
    def __init__(self, camera_id: str, hub: StreamHub, storage: Path, segment_seconds: float,
                 index: SegmentIndex, on_disk_full: Callable[[], None],
                 on_state: Callable[[str, str | None], None] = lambda state, error: None) -> None:
        self.camera_id = camera_id
        self.hub = hub
        self.index = index
        self.on_disk_full = on_disk_full
        self.on_state = on_state
        self.segmenter = Segmenter(storage, camera_id, segment_seconds, self._finished)
        self.state = "starting"
        self.error: str | None = None
        self.segments_written = 0
        self.last_segment_end: float | None = None
        self._subscription: PacketSubscription | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._last_packet_at = 0.0
        self._retry_at = 0.0
        self._gap_reason: str | None = "stopped"  # the time before this start was not recorded
        self._hole_since: float | None = None  # when a disk error began, if no segment ended before it
        self._to_repair: list[tuple[Path, float]] = []

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self.last_segment_end = self.index.last_end(self.camera_id)
        self._subscription = self.hub.subscribe_packets(
            self.camera_id, "main", name="recorder", maxsize=QUEUE_PACKETS, drop_gops=True)
        self._thread = threading.Thread(target=self._run, name=f"recorder-{self.camera_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._subscription is not None:
            self._subscription.close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def current_path(self) -> Path | None:
        return self.segmenter.current_path

    def live_view(self) -> SegmentView | None:
        """The segment being written, as far as it goes now (other threads call this)."""
        current, until = self.segmenter.current, self.segmenter.written_until()
        if current is None or until is None:
            return None
        try:
            size = current.path.stat().st_size
        except OSError:
            return None
        return SegmentView(self.camera_id, current.start, until, size,
                           relative_to_storage(self.segmenter.storage, current.path),
                           current.video_params.codec, live=True)

    def status(self) -> dict[str, Any]:
        subscription = self._subscription
        return {
            "state": self.state,
            "error": self.error,
            "segments_written": self.segments_written,
            "last_segment_end": self.last_segment_end,
            "recording_since": self.segmenter.current.start if self.segmenter.current else None,
            "dropped_packets": subscription.queue.dropped if subscription is not None else 0,
        }

    # --- the thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        assert self._subscription is not None
        queue = self._subscription.queue
        try:
            while not self._stopping.is_set():
                try:
                    packet = queue.get(timeout=0.5)
                except Closed:
                    break
                if packet is None:
                    self._idle()
                    continue
                self._last_packet_at = time.monotonic()
                self._handle(packet)
                # Take what arrived meanwhile in one go, then rest: one wake-up per batch instead of one
                # per packet (the thread's main cost); a fragment still reaches the disk within ~1.5 s.
                try:
                    while (packet := queue.get(timeout=0)) is not None:
                        self._handle(packet)
                except Closed:
                    break
                self._stopping.wait(BATCH_SECONDS)
        except Exception:
            log.exception("camera %s: recorder thread failed", self.camera_id)
            self._set_state("error", "recorder thread failed (see the log)")
            raise
        finally:
            self._finish_segment()
            if self.state != "error":
                self._set_state("stopped")

    def _handle(self, packet: MediaPacket) -> None:
        if self.state in WRITE_ERRORS and (not packet.keyframe or time.monotonic() < self._retry_at):
            return
        before = self.segmenter.current
        try:
            self.segmenter.feed(packet)
        except (OSError, av.FFmpegError) as exc:
            self._disk_error(exc, packet)
            return
        current = self.segmenter.current
        if current is None or current is before:
            return
        # A new segment started: note the hole before it, if any, with the reason we know.
        hole_start = self.last_segment_end if self.last_segment_end is not None else self._hole_since
        if hole_start is not None and current.start - hole_start > CONTIGUOUS_SECONDS:
            reason = self._gap_reason or self._offline_or_stall()
            self.index.add_gap(self.camera_id, hole_start, current.start, reason)
        self._gap_reason = None
        self._hole_since = None
        if self.state in WRITE_ERRORS:
            log.info("camera %s: recording resumed after %s", self.camera_id, self.state.replace("_", " "))
            self._repair_later_files()
        self._set_state("recording")

    def _idle(self) -> None:
        if self.segmenter.current is None:
            return
        if time.monotonic() - self._last_packet_at >= IDLE_SECONDS:
            self._finish_segment()
            self._gap_reason = self._offline_or_stall()
            self._set_state("waiting")

    def _finish_segment(self) -> None:
        try:
            self.segmenter.finish()
        except (OSError, av.FFmpegError) as exc:
            self._disk_error(exc)

    def _finished(self, finished: FinishedFile) -> None:
        self.segments_written += 1
        self.last_segment_end = finished.end
        self.index.add_segment(self.camera_id, finished)

    def _set_state(self, state: str, error: str | None = None) -> None:
        changed = (state, error) != (self.state, self.error)
        self.state, self.error = state, error
        if changed:
            self.on_state(state, error)

    def _offline_or_stall(self) -> str:
        try:
            status = self.hub.status(self.camera_id)
        except KeyError:
            return "offline"
        return "stall" if status.state == CameraState.ONLINE else "offline"

    # --- disk errors ------------------------------------------------------------------------------

    def _disk_error(self, exc: BaseException, packet: MediaPacket | None = None) -> None:
        """A write failed: the disk (full, not writable) or, rarely, the muxer refusing a packet. Either
        way the segment is closed, the error logged once, and the next keyframe after RETRY_SECONDS
        tries a new segment."""
        code = getattr(exc, "errno", None)
        kind = "disk_error" if isinstance(exc, OSError) and code in DISK_ERRNOS else "stream_error"
        start = self.segmenter.current.start if self.segmenter.current else None
        if self.last_segment_end is None and self._hole_since is None:
            self._hole_since = start or (packet.wallclock if packet is not None else time.time())
        broken = self.segmenter.abandon()
        if broken is not None and start is not None:
            self._to_repair.append((broken, start))
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self._gap_reason = kind
        if self.state != kind:
            self._set_state(kind, _describe(exc))
            what = "a disk error" if kind == "disk_error" else "an error writing the stream"
            log.error("camera %s: recording stopped by %s: %s (retrying every %g s)", self.camera_id, what,
                      self.error, RETRY_SECONDS)
        if code in (errno.ENOSPC, errno.EDQUOT):
            self.on_disk_full()

    def _repair_later_files(self) -> None:
        """Index what the segments cut by the disk error hold, now that the disk takes writes again."""
        waiting, self._to_repair = self._to_repair, []
        for path, start in waiting:
            try:
                repaired = repair_segment(path, start)
            except CannotWrite:
                self._to_repair.append((path, start))
                continue
            if repaired is not None:
                self.segments_written += 1
                finished = FinishedFile(path, repaired.start, repaired.end, repaired.bytes, repaired.codec)
                self.index.add_segment(self.camera_id, finished)


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "errno", None)
    text = getattr(exc, "strerror", None) or str(exc)
    return f"{text} (errno {code})" if code else text
