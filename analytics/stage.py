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
        # One stop event per camera thread, so one camera can stop (hot reload) while others run.
        self._camera_threads: dict[str, tuple[threading.Thread, threading.Event]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._store: IncidentStore | None = None
        self._detector_tried = False

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        config = self.ctx.config
        site = config.site
        cameras = [c for c in self.ctx.boot_cameras().values() if self._wanted(c)]
        if any(self._settings[c.id].enabled for c in cameras):
            self._open_detector()
        self._store = IncidentStore(
            self.ctx.sessions, self.ctx.storage, self.ctx.bus,
            pre_seconds=site.incidents.pre_seconds, post_seconds=site.incidents.post_seconds,
            cameras=config.cameras, services=self.ctx.services,
        )
        for camera in cameras:
            self._start_camera(camera)
        # Always watched (cheap): a camera added later may bring camera_offline rules.
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
        with self._lock:
            camera_threads = list(self._camera_threads.values())
            self._camera_threads.clear()
        for _thread, stop in camera_threads:
            stop.set()
        for thread, _stop in camera_threads:
            thread.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self.worker is not None:
            self.worker.stop()
        for pipeline in list(self.pipelines.values()):
            if pipeline.activity is not None:
                pipeline.activity.flush()  # the minute in progress

    def _start_camera(self, camera: CameraConfig) -> None:
        """Build the camera's pipeline (from ``self._settings``) and start its thread if it detects."""
        detect = self._settings[camera.id]
        model_size = None
        if self.detector is not None:
            spec = self.detector.manifest.spec
            model_size = (spec.input.width, spec.input.height)
        tz = ZoneInfo(self.ctx.config.site.site.timezone)
        engine = RuleEngine(camera, detect, tz, schedule_clock=self.schedule_clock)
        pipeline = CameraPipeline(
            camera, detect, engine,
            worker=self.worker if detect.enabled else None,
            store=self._store, bus=self.ctx.bus, model_size=model_size,
            activity=ActivityCounter(camera.id, self.ctx.sessions),
        )
        thread: threading.Thread | None = None
        stop = threading.Event()
        if detect.enabled:
            thread = threading.Thread(target=self._run_camera, args=(pipeline, detect, stop),
                                      name=f"analytics-{camera.id}", daemon=True)
        with self._lock:
            self.pipelines[camera.id] = pipeline
            if thread is not None:
                self._camera_threads[camera.id] = (thread, stop)
        if thread is not None and self._store is not None:  # started already: run it now
            thread.start()

    def _stop_camera(self, camera_id: str) -> None:
        with self._lock:
            pipeline = self.pipelines.pop(camera_id, None)
            entry = self._camera_threads.pop(camera_id, None)
        if entry is not None:
            thread, stop = entry
            stop.set()
            thread.join(timeout=5)
        if pipeline is not None:
            pipeline.forget_all(time.time())  # its open incidents end now
            if pipeline.activity is not None:
                pipeline.activity.flush()  # the minute in progress

    # --- cameras at run time (wawai.stage.CameraListener) ------------------------------------------

    def camera_added(self, camera: CameraConfig) -> None:
        if self._store is not None:
            self._store.cameras = self.ctx.config.cameras  # the incidents' camera facts follow the config
        if not self._wanted(camera):
            return
        if self._settings[camera.id].enabled and self.worker is None and not self._detector_tried:
            self._open_detector()
        self._start_camera(camera)

    def camera_changed(self, old: CameraConfig, new: CameraConfig) -> None:
        # Zones, rules and detect settings are compiled into the pipeline: this camera's pipeline is
        # rebuilt; its frame subscription is the hub's, so ingest and the other cameras see nothing.
        self._stop_camera(old.id)
        self.camera_added(new)

    def camera_removed(self, camera_id: str) -> None:
        self._stop_camera(camera_id)
        self._settings.pop(camera_id, None)

    def site_changed(self) -> None:
        """Nothing here is applied live from the site file (time zone and detector need a restart)."""

    def _wanted(self, camera: CameraConfig) -> bool:
        detect = camera.detect_settings(self.ctx.config.site.defaults.detect)
        self._settings[camera.id] = detect
        return detect.enabled or any(rule.type == "camera_offline" for rule in camera.rules)

    def _open_detector(self) -> None:
        self._detector_tried = True
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

    def _run_camera(self, pipeline: CameraPipeline, detect: DetectSettings, stop: threading.Event) -> None:
        camera_id = pipeline.camera_id
        subscription = None
        failures = 0
        while not stop.is_set():
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
                stop.wait(1.0)
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
        while not self._stop.wait(OFFLINE_POLL_SECONDS):
            now = time.time()
            with self._lock:
                watched = [p for p in self.pipelines.values() if p.engine.offline_rules]
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
