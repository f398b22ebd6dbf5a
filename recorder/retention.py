"""Retention and quota: deleting old segments in a thread of its own, so recording never waits for it.

Each pass, in order:
1. age: a camera's segments older than its ``record.retain_days``;
2. events mode: segments that overlap no incident window, once ``EVENTS_GRACE_SECONDS`` old (an incident
   found a little late still gets its pre-roll; recording continuously and deleting afterwards is what
   makes pre-roll possible at all);
3. quota: while ``storage.max_bytes`` or ``storage.min_free_bytes`` is crossed (or a camera hit a full
   disk), the oldest segments of all cameras.
Segments overlapping an incident window are kept until the incident is ``incidents.retain_days`` old;
an incident locked as evidence keeps its segments however old, until it is unlocked. When a camera hit
a full disk and nothing else is left to delete, the oldest unlocked incident footage goes (recording
must go on); locked footage never does. The segments being written are never touched (they have no row
until they are finished).

On a cluster node (``local_only``) the index is shared with the other nodes, each with its own storage:
a node deletes only segments whose file is in its own storage, and ``storage.max_bytes`` is not applied
(counting this node's share would mean reading every row of the site each pass); ``min_free_bytes``
and a full disk are.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recorder.incident_windows import IncidentWindows, load_incident_windows
from recorder.paths import recordings_root
from wawai.config.model import WawaiConfig
from wawai.db.recordings import RecordingSegment, delete_segments, oldest_segments, total_bytes
from wawai.thumbnails import thumbnail_path

log = logging.getLogger(__name__)

DAY = 86400.0
EVENTS_GRACE_SECONDS = 120.0
PASS_INTERVAL_SECONDS = 60.0
BATCH = 500


@dataclass
class PassResult:
    segments: int = 0
    bytes: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    quota_unmet: int = 0  # bytes still over the quota when only kept segments were left


class Retention:
    def __init__(self, config: WawaiConfig, sessions: sessionmaker[Session],
                 live_paths: Callable[[], set[Path]], clock: Callable[[], float] = time.time,
                 local_only: bool = False) -> None:
        self.config = config
        self.local_only = local_only
        self.storage = config.storage_path
        self.sessions = sessions
        self.live_paths = live_paths
        self.clock = clock
        self._wake = threading.Event()
        self._emergency = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.last: PassResult | None = None

    # --- thread -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="recorder-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wake(self, *, disk_full: bool = False) -> None:
        if disk_full:
            self._emergency.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_pass()
            except Exception:
                log.exception("retention pass failed; trying again next pass")
            self._wake.wait(PASS_INTERVAL_SECONDS)
            self._wake.clear()

    # --- one pass ---------------------------------------------------------------------------------

    def run_pass(self) -> PassResult:
        now = self.clock()
        incidents = self.config.site.incidents
        result = PassResult()
        live = {p.resolve() for p in self.live_paths()}
        with self.sessions() as session:
            windows = load_incident_windows(session, now - incidents.retain_days * DAY,
                                            incidents.pre_seconds, incidents.post_seconds)
            for camera_id in list(session.scalars(select(RecordingSegment.camera_id).distinct())):
                self._by_age(session, camera_id, now, windows, live, result)
            locked = load_incident_windows(session, now, 0.0, 0.0, locked_only=True)
            self._by_quota(session, windows, locked, live, result)
        self.passes += 1
        self.last = result
        if result.segments:
            reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(result.by_reason.items()))
            log.info("retention freed %d segment(s), %.1f MB (%s)", result.segments, result.bytes / 1e6,
                     reasons)
        else:
            log.debug("retention pass: nothing to free")
        if result.quota_unmet:
            log.warning("storage quota still exceeded by %.1f MB: the rest is kept for incidents or being "
                        "written", result.quota_unmet / 1e6)
        return result

    def _settings(self, camera_id: str) -> tuple[str, float]:
        defaults = self.config.site.defaults.record
        camera = self.config.cameras.get(camera_id)
        settings = camera.record_settings(defaults) if camera is not None else defaults
        return settings.mode, settings.retain_days

    def _by_age(self, session: Session, camera_id: str, now: float, windows: IncidentWindows,
                live: set[Path], result: PassResult) -> None:
        mode, retain_days = self._settings(camera_id)
        cutoffs = [("age", now - retain_days * DAY)]
        if mode == "events":
            cutoffs.append(("events", now - EVENTS_GRACE_SECONDS))
        for reason, cutoff in cutoffs:
            while True:
                query = (select(RecordingSegment).where(RecordingSegment.camera_id == camera_id)
                         .where(RecordingSegment.end < cutoff).order_by(RecordingSegment.start))
                candidates = [s for s in session.scalars(query)
                              if not windows.overlaps(camera_id, s.start, s.end)
                              and (self.storage / s.path).resolve() not in live and self._ours(s)]
                if not candidates:
                    break
                deleted = self._delete(session, candidates[:BATCH], reason, result)
                if deleted == 0 or len(candidates) <= BATCH:
                    break

    def _bytes_over(self, session: Session) -> int:
        storage = self.config.site.storage
        over = 0
        if storage.max_bytes is not None and not self.local_only:
            over = max(over, total_bytes(session) - storage.max_bytes)
        root = recordings_root(self.storage)
        probe = root if root.exists() else self.storage
        if probe.exists():
            over = max(over, storage.min_free_bytes - shutil.disk_usage(probe).free)
        if self._emergency.is_set() and probe.exists():
            # A camera hit a full disk: make room for two segments even if no limit says so (the oldest
            # recordings are overwritten, as on any recorder; incident segments are still kept).
            recent = session.scalars(select(RecordingSegment.bytes).order_by(RecordingSegment.start.desc())
                                     .limit(20))
            over = max(over, 2 * max(recent, default=0) - shutil.disk_usage(probe).free)
        return over

    def _by_quota(self, session: Session, windows: IncidentWindows, locked: IncidentWindows,
                  live: set[Path], result: PassResult) -> None:
        over = self._bytes_over(session)
        disk_full = self._emergency.is_set()
        self._emergency.clear()
        if over <= 0:
            return
        freed = self._oldest_first(session, over, windows, live, "quota", result)
        if freed < over and disk_full:
            # Only incident footage is left and the disk is full: the oldest unlocked goes, locked stays.
            freed += self._oldest_first(session, over - freed, locked, live, "disk_full", result)
        if freed < over:
            result.quota_unmet = over - freed

    def _oldest_first(self, session: Session, over: int, windows: IncidentWindows, live: set[Path],
                      reason: str, result: PassResult) -> int:
        """Delete the oldest segments outside ``windows`` until ``over`` bytes are freed; returns bytes."""
        freed = 0
        offset = 0
        while freed < over:
            batch = oldest_segments(session, BATCH, offset)
            if not batch:
                break
            chosen: list[RecordingSegment] = []
            for segment in batch:
                if freed >= over:
                    break
                if windows.overlaps(segment.camera_id, segment.start, segment.end) or \
                        (self.storage / segment.path).resolve() in live or not self._ours(segment):
                    offset += 1
                    continue
                chosen.append(segment)
                freed += segment.bytes
            if chosen and self._delete(session, chosen, reason, result) == 0:
                break
        return freed

    def _ours(self, segment: RecordingSegment) -> bool:
        """Whether this node may delete the segment: always on a single node; on a cluster node only
        when its file is in this node's storage (the others' segments are theirs to delete)."""
        return not self.local_only or (self.storage / segment.path).exists()

    def _delete(self, session: Session, segments: list[RecordingSegment], reason: str,
                result: PassResult) -> int:
        deleted: list[int] = []
        for segment in segments:
            path = self.storage / segment.path
            try:
                path.unlink(missing_ok=True)
                thumbnail_path(path).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("cannot delete %s: %s", segment.path, exc)
                continue
            _remove_empty_parents(path.parent, recordings_root(self.storage))
            result.segments += 1
            result.bytes += segment.bytes
            result.by_reason[reason] = result.by_reason.get(reason, 0) + 1
            deleted.append(segment.id)
        delete_segments(session, deleted)
        session.commit()
        return len(deleted)


def _remove_empty_parents(folder: Path, root: Path) -> None:
    """Remove the hour and day folders a deletion emptied (never the camera folder or above)."""
    for _ in range(2):
        if folder == root or folder.parent == root:
            return
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
