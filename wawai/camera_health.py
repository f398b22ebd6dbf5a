"""Camera health: one camera's figures from every stage, a per-minute sampler that keeps them in the
database for ``health.retain_days``, and the storage and gap figures the health page shows.

``camera_facts`` reads what ingest, the recorder and analytics report now (no I/O but the status calls);
the web app's health page and ``/metrics`` use it, and so does ``HealthSampler``, which runs as a stage
of the node (``name = "health"``) so the runtime starts and stops it with the others.

On a cluster node the sampler writes rows only for the cameras it runs, each under its camera's fence
(a camera that moved on loses its row, and is stopped here); the owners sample the others.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from wawai.cluster.camera_fences import fences_of
from wawai.cluster.fencing import StaleOwnership, check_fence
from wawai.config.schema import CameraConfig
from wawai.db.health import HealthSample, delete_before
from wawai.db.recordings import RecordingSegment, merge_ranges, segments_between
from wawai.logs import mask_text
from wawai.stage import STAGES_SERVICE, StageContext

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600
PURGE_EVERY_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class CameraFacts:
    camera_id: str
    state: str  # ingest: connecting, online, offline, error
    fps: float | None  # received on the main stream
    configured_fps: float | None  # the analysis rate asked for (detect.fps)
    bitrate_kbps: float | None
    keyframe_interval: float | None
    reconnects: int
    last_error: str | None  # masked
    drops: int  # items dropped by slow consumers of this camera, since the node started
    recording: str | None  # the recorder's state
    recorder_drops: int
    detector_requests: int | None
    detector_queue_ms: float | None
    detector_inference_ms: float | None
    # Analytics' mode now ("full" or "keyframes", see ``analysis_of``); None when not analysed.
    analysis_mode: str | None = None
    detect_fps_got: float | None = None
    detect_rate_fraction: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _stage_status(ctx: StageContext, name: str, camera_id: str) -> dict[str, Any]:
    for stage in ctx.services.get(STAGES_SERVICE, []):
        if getattr(stage, "name", None) != name:
            continue
        try:
            status: dict[str, Any] = stage.camera_status(camera_id)
            return status
        except Exception:  # one stage's bad answer must not hide the camera
            log.exception("stage %s failed to report camera %s", name, camera_id)
    return {}


ANALYSED_STATES = ("running", "degraded")  # degraded: motion only, the mode still applies


def analysis_of(analytics: dict[str, Any]) -> dict[str, Any] | None:
    """The camera's analysis mode and detect-rate share, from the analytics stage's status of it
    (``CameraPipeline.status``); None when the camera is not analysed."""
    if analytics.get("state") not in ANALYSED_STATES or analytics.get("mode") is None:
        return None
    rate = analytics.get("detect_rate") or {}
    return {
        "mode": analytics["mode"],
        "mode_since": analytics.get("mode_since"),
        "detect_fps_wanted": rate.get("wanted"),
        "detect_fps_got": rate.get("got"),
        "detect_rate_fraction": rate.get("fraction"),
    }


def camera_facts(ctx: StageContext, camera_id: str) -> CameraFacts:
    camera = ctx.config.cameras[camera_id]
    try:
        main = ctx.hub.status(camera_id).streams.get("main")
    except KeyError:
        main = None
    recording = _stage_status(ctx, "recording", camera_id)
    analytics = _stage_status(ctx, "analytics", camera_id)
    detector = analytics.get("detector") or {}
    analysis = analysis_of(analytics) or {}
    error = main.last_error if main is not None else None
    detect = camera.detect_settings(ctx.config.site.defaults.detect)
    return CameraFacts(
        camera_id=camera_id,
        state=str(main.state) if main is not None else "offline",
        fps=main.fps if main is not None else None,
        configured_fps=detect.fps if detect.enabled else None,
        bitrate_kbps=main.bitrate_kbps if main is not None else None,
        keyframe_interval=main.keyframe_interval if main is not None else None,
        reconnects=main.reconnects if main is not None else 0,
        last_error=mask_text(error) if error else None,
        drops=sum(main.drops.values()) if main is not None else 0,
        recording=recording.get("state"),
        recorder_drops=int(recording.get("dropped_packets") or 0),
        detector_requests=detector.get("requests"),
        detector_queue_ms=detector.get("queue_ms"),
        detector_inference_ms=detector.get("inference_ms"),
        analysis_mode=analysis.get("mode"),
        detect_fps_got=analysis.get("detect_fps_got"),
        detect_rate_fraction=analysis.get("detect_rate_fraction"),
    )


def storage_bytes(session: Session) -> dict[str, int]:
    """Bytes of recorded segments per camera."""
    query = select(RecordingSegment.camera_id, func.sum(RecordingSegment.bytes)).group_by(
        RecordingSegment.camera_id)
    return {camera: int(total or 0) for camera, total in session.execute(query)}


def gap_seconds(session: Session, camera_id: str, now: float, window: float = DAY_SECONDS) -> float:
    """Seconds not recorded in the last ``window``, counted from the first recording in it (a camera
    added an hour ago has no 23-hour gap)."""
    segments = [row.view() for row in segments_between(session, camera_id, now - window, now)]
    if not segments:
        return 0.0
    begin = max(now - window, segments[0].start)
    recorded = sum(r.end - r.start for r in merge_ranges(segments, begin, now))
    return max(0.0, now - begin - recorded)


class HealthSampler:
    """Writes every camera's facts as one ``camera_health_samples`` row per ``health.sample_seconds``."""

    name = "health"

    def __init__(self, ctx: StageContext) -> None:
        self.ctx = ctx
        self.settings = ctx.config.site.health
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_sample_at: float | None = None
        self._purged_at = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="health-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def camera_status(self, camera_id: str) -> dict[str, Any]:
        return {"sampled_at": self.last_sample_at}

    # Cameras at run time (wawai.stage.CameraListener): each sample reads ctx.config.cameras, so a
    # camera added, changed or removed by a reload is sampled (or not) from the next sample on.
    def camera_added(self, camera: CameraConfig) -> None:
        """Nothing to start: sampled from the next pass."""

    def camera_changed(self, old: CameraConfig, new: CameraConfig) -> None:
        """Nothing to change: the sample reads the camera's facts, not its settings."""

    def camera_removed(self, camera_id: str) -> None:
        """Nothing to stop: its past samples stay."""

    def site_changed(self) -> None:
        """health.* needs a process restart (its rows in the table say so)."""

    def _run(self) -> None:
        while not self._stop.wait(self.settings.sample_seconds):
            try:
                self.sample_once()
            except SQLAlchemyError as exc:
                log.warning("health samples not written (%s); next try in %g s", exc.__class__.__name__,
                            self.settings.sample_seconds)

    def sample_once(self, now: float | None = None) -> int:
        """One row per camera; deletes rows past ``retain_days`` once an hour. Returns rows written."""
        now = time.time() if now is None else now
        rows = []
        registry = fences_of(self.ctx.services)
        running = registry.cameras() if registry is not None else list(self.ctx.config.cameras)
        for camera_id in running:
            if camera_id not in self.ctx.config.cameras:
                continue  # removed by a reload a moment ago
            facts = camera_facts(self.ctx, camera_id)
            rows.append(HealthSample(
                camera_id=camera_id, at=int(now), state=facts.state, fps=facts.fps,
                bitrate_kbps=facts.bitrate_kbps, keyframe_interval=facts.keyframe_interval,
                reconnects=facts.reconnects, recording=facts.recording,
                detector_ms=facts.detector_inference_ms,
                detector_queue_ms=facts.detector_queue_ms, drops=facts.drops + facts.recorder_drops,
            ))
        with self.ctx.sessions() as session:
            if registry is not None:
                rows = [row for row in rows if self._fenced(session, row.camera_id)]
            session.add_all(rows)
            if now - self._purged_at >= PURGE_EVERY_SECONDS:
                delete_before(session, now - self.settings.retain_days * DAY_SECONDS)
                self._purged_at = now
            session.commit()
        self.last_sample_at = now
        return len(rows)

    def _fenced(self, session: Session, camera_id: str) -> bool:
        """Whether this cluster node still owns the camera (its row is kept); a refusal stops it here."""
        registry = fences_of(self.ctx.services)
        if registry is None:
            return True
        try:
            check_fence(session, registry.fence(camera_id))
        except StaleOwnership as exc:
            registry.refused(camera_id, exc, "a health sample")
            return False
        return True
