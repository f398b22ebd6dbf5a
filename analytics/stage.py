"""The analytics stage: one detector worker for the node, one thread per camera, an offline watcher.

A model that cannot be used (missing file, wrong checksum, wrong shape) does not stop the node: the
error is logged once as one line, every camera runs motion-only, and its status says ``degraded`` with
the reason and the command that fetches the weights (``fix``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from analytics.activity import ActivityCounter
from analytics.camera import CameraPipeline
from analytics.detector import Detector
from analytics.incident_store import IncidentStore
from analytics.manifest import ModelError, fetch_command, load_manifest
from analytics.retention import purge_incidents
from analytics.rules import RuleEngine
from analytics.worker import DetectorWorker
from wawai.config.schema import CameraConfig, DetectSettings
from wawai.queues import Closed
from wawai.stage import StageContext
from wawai.status import CameraState

log = logging.getLogger(__name__)

SUBSCRIBER = "analytics"
OFFLINE_STATES = (CameraState.OFFLINE, CameraState.ERROR)
OFFLINE_POLL_SECONDS = 0.5
HOUSEKEEPING_SECONDS = 3600.0
NO_FRAMES_SECONDS = 5.0  # without pictures this long, tracked objects are gone and their incidents end


class AnalyticsStage:
    name = "analytics"

    def __init__(self, ctx: StageContext, *, schedule_clock: Callable[[], float] | None = None) -> None:
        self.ctx = ctx
        self.schedule_clock = schedule_clock
        self.detector: Detector | None = None
        self.worker: DetectorWorker | None = None
        self.model_error: str | None = None
        self.pipelines: dict[str, CameraPipeline] = {}
        self._settings: dict[str, DetectSettings] = {}
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        config = self.ctx.config
        site = config.site
        cameras = [c for c in config.cameras.values() if self._wanted(c)]
        if any(self._settings[c.id].enabled for c in cameras):
            self._open_detector()
        store = IncidentStore(
            self.ctx.sessions, self.ctx.storage, self.ctx.bus,
            pre_seconds=site.incidents.pre_seconds, post_seconds=site.incidents.post_seconds,
        )
        tz = ZoneInfo(site.site.timezone)
        model_size = None
        if self.detector is not None:
            spec = self.detector.manifest.spec
            model_size = (spec.input.width, spec.input.height)
        for camera in cameras:
            detect = self._settings[camera.id]
            engine = RuleEngine(camera, detect, tz, schedule_clock=self.schedule_clock)
            pipeline = CameraPipeline(
                camera, detect, engine,
                worker=self.worker if detect.enabled else None,
                store=store, bus=self.ctx.bus, model_size=model_size,
                activity=ActivityCounter(camera.id, self.ctx.sessions),
            )
            self.pipelines[camera.id] = pipeline
            if detect.enabled:
                name = f"analytics-{camera.id}"
                target = self._run_camera
                thread = threading.Thread(target=target, args=(pipeline, detect), name=name, daemon=True)
                self._threads.append(thread)
        if any(p.engine.offline_rules for p in self.pipelines.values()):
            watcher = threading.Thread(target=self._watch_offline, name="analytics-offline", daemon=True)
            self._threads.append(watcher)
        retention = threading.Thread(target=self._housekeeping, name="analytics-retention", daemon=True)
        self._threads.append(retention)
        for thread in self._threads:
            thread.start()
        log.info(
            "analytics: %d cameras, detector %s", len(self.pipelines),
            self.detector.name if self.detector else f"none ({self.model_error or 'not needed'})",
        )

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self.worker is not None:
            self.worker.stop()
        for pipeline in self.pipelines.values():
            if pipeline.activity is not None:
                pipeline.activity.flush()  # the minute in progress

    def _wanted(self, camera: CameraConfig) -> bool:
        detect = camera.detect_settings(self.ctx.config.site.defaults.detect)
        self._settings[camera.id] = detect
        return detect.enabled or any(rule.type == "camera_offline" for rule in camera.rules)

    def _open_detector(self) -> None:
        config = self.ctx.config
        section = config.site.detector
        try:
            manifest = load_manifest(section.model, [str(d) for d in config.model_dirs], config.base_dir)
            self.detector = Detector(manifest, threads=section.threads, providers=section.providers)
        except ModelError as exc:
            self.model_error = str(exc)
            log.error("detector unusable, cameras run motion-only: %s", exc)
            return
        except Exception as exc:  # whatever else a model file does, the node keeps running
            self.model_error = f"{section.model}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            log.exception("detector unusable, cameras run motion-only")
            return
        self.worker = DetectorWorker(self.detector, batch_max=section.batch_max)
        self.worker.start()

    # --- threads --------------------------------------------------------------------------------

    def _run_camera(self, pipeline: CameraPipeline, detect: DetectSettings) -> None:
        camera_id = pipeline.camera_id
        subscription = None
        failures = 0
        while not self._stop.is_set():
            if subscription is None:
                try:
                    subscription = self.ctx.hub.subscribe_frames(
                        camera_id, name=SUBSCRIBER, fps=detect.fps, max_width=detect.max_width
                    )
                except KeyError:
                    log.error("analytics: camera %s is unknown to ingest; not analysed", camera_id)
                    return
            try:
                frame = subscription.queue.get(timeout=0.5)
            except Closed:
                subscription = None
                self._stop.wait(1.0)
                continue
            pipeline.stats.frame_drops = subscription.queue.dropped
            if frame is None:
                last = pipeline.stats.last_frame_at
                if last is not None and time.time() - last > NO_FRAMES_SECONDS:
                    pipeline.forget_all(time.time())
                continue
            try:
                pipeline.process(frame)
                subscription.set_keyframes_only(pipeline.quiet)
                failures = 0
            except Exception:
                failures += 1
                if failures <= 3 or failures % 100 == 0:  # say it, but do not flood the log
                    log.exception("analytics: camera %s: frame failed (%d in a row)", camera_id, failures)
        if subscription is not None:
            subscription.close()

    def _watch_offline(self) -> None:
        watched = [p for p in self.pipelines.values() if p.engine.offline_rules]
        while not self._stop.wait(OFFLINE_POLL_SECONDS):
            now = time.time()
            for pipeline in watched:
                try:
                    state = self.ctx.hub.status(pipeline.camera_id).state
                    pipeline.camera_state(state in OFFLINE_STATES, now)
                except Exception:
                    log.exception("analytics: offline check of camera %s failed", pipeline.camera_id)

    def _housekeeping(self) -> None:
        site = self.ctx.config.site
        while True:
            try:
                purge_incidents(self.ctx.sessions, self.ctx.storage, site.incidents.retain_days)
            except Exception:
                log.exception("analytics: incident retention failed; trying again in an hour")
            if self._stop.wait(HOUSEKEEPING_SECONDS):
                return

    # --- status ---------------------------------------------------------------------------------

    def camera_status(self, camera_id: str) -> dict[str, Any]:
        pipeline = self.pipelines.get(camera_id)
        if pipeline is None:
            return {"state": "off"}
        detect_enabled = self._settings[camera_id].enabled
        status: dict[str, Any] = {"state": "running", **pipeline.status()}
        if not detect_enabled:
            status["state"] = "offline-rules-only"
        elif self.worker is None:
            status["state"] = "degraded"
            status["reason"] = f"motion only: {self.model_error}"
            status["fix"] = fetch_command(self.ctx.config.site.detector.model)
        else:
            status["model"] = self.detector.name if self.detector else None
            status["detector"] = self.worker.load(camera_id)
        return status
