"""The recorder stage: one recording thread per camera, retention, and the recordings service."""

from __future__ import annotations

import logging
import threading
from functools import partial
from pathlib import Path
from typing import Any

from recorder.camera_recorder import CameraRecorder
from recorder.index import SegmentIndex
from recorder.recovery import reconcile
from recorder.retention import Retention
from recorder.service import RecordingsService
from wawai.cluster.member import node_name
from wawai.config.schema import CameraConfig
from wawai.recordings import SERVICE_NAME, SegmentView
from wawai.stage import StageContext

log = logging.getLogger(__name__)


class RecorderStage:
    name = "recording"

    def __init__(self, ctx: StageContext) -> None:
        self.ctx = ctx
        self.storage = ctx.storage
        cluster = ctx.config.site.cluster
        self.node = node_name(cluster) if cluster is not None else None
        self.shared_storage = cluster is not None and cluster.shared_storage
        self.index = SegmentIndex(self.storage, ctx.sessions, ctx.services, self.node)
        # A cluster node shares the index with nodes that have storages of their own (see Retention).
        self.retention = Retention(ctx.config, ctx.sessions, self._live_paths,
                                   local_only=not ctx.starts_cameras)
        self.cameras: dict[str, CameraRecorder] = {}
        self._lock = threading.Lock()  # cameras change at run time (hot reload) while others read
        for camera in ctx.boot_cameras().values():
            recorder = self._recorder_for(camera)
            if recorder is not None:
                self.cameras[camera.id] = recorder
        ctx.services[SERVICE_NAME] = RecordingsService(self.storage, ctx.sessions, self._live_segment)

    def start(self) -> None:
        # Before any new file exists, so every file without a row is one a crash cut short.
        reconcile(self.storage, self.ctx.sessions, drop_missing=self.ctx.starts_cameras, node=self.node,
                  shared_storage=self.shared_storage)
        for camera_id, recorder in self.cameras.items():
            try:
                recorder.start()
            except KeyError:
                log.warning("camera %s: not in the stream hub; not recorded", camera_id)
        self.retention.start()
        log.info("recording %d camera(s) into %s", len(self.cameras), self.storage)

    def stop(self) -> None:
        with self._lock:
            recorders = list(self.cameras.values())
        for recorder in recorders:
            recorder.stop()
        self.retention.stop()

    # --- cameras at run time (wawai.stage.CameraListener) ------------------------------------------

    def _recorder_for(self, camera: CameraConfig) -> CameraRecorder | None:
        settings = camera.record_settings(self.ctx.config.site.defaults.record)
        if settings.mode == "off":
            return None
        return CameraRecorder(
            camera.id, self.ctx.hub, self.storage, settings.segment_seconds, self.index,
            on_disk_full=lambda: self.retention.wake(disk_full=True),
            on_state=partial(self._publish_state, camera.id))

    def _start_recorder(self, camera: CameraConfig) -> None:
        recorder = self._recorder_for(camera)
        if recorder is None:
            return
        try:
            recorder.start()
        except KeyError:
            log.warning("camera %s: not in the stream hub; not recorded", camera.id)
            return
        with self._lock:
            self.cameras[camera.id] = recorder

    def camera_added(self, camera: CameraConfig) -> None:
        self.retention.config = self.ctx.config
        self._start_recorder(camera)

    def camera_changed(self, old: CameraConfig, new: CameraConfig) -> None:
        # Retention reads record.retain_days from the config at each pass: nothing else to do for it.
        self.retention.config = self.ctx.config
        defaults = self.ctx.config.site.defaults.record
        before, after = old.record_settings(defaults), new.record_settings(defaults)
        running = new.id in self.cameras
        if (before.mode, before.segment_seconds) == (after.mode, after.segment_seconds) and \
                running == (after.mode != "off"):
            return
        # The mode or the segment length changed: this camera's recorder closes its segment and
        # starts again on the next keyframe (one new segment boundary, no gap).
        self.camera_removed(new.id)
        self._start_recorder(new)

    def camera_removed(self, camera_id: str) -> None:
        with self._lock:
            recorder = self.cameras.pop(camera_id, None)
        if recorder is not None:
            recorder.stop()
        self.retention.config = self.ctx.config

    def site_changed(self) -> None:
        self.retention.config = self.ctx.config

    def camera_status(self, camera_id: str) -> dict[str, Any]:
        recorder = self.cameras.get(camera_id)
        if recorder is None:
            return {"state": "off"}
        return recorder.status()

    def _publish_state(self, camera_id: str, state: str, error: str | None) -> None:
        """Tell the WebSocket (and anyone else) at once when a camera's recording state changes."""
        self.ctx.bus.publish({"type": "recording.status", "camera_id": camera_id, "state": state,
                              "error": error})

    def _live_segment(self, camera_id: str) -> SegmentView | None:
        recorder = self.cameras.get(camera_id)
        return recorder.live_view() if recorder is not None else None

    def _live_paths(self) -> set[Path]:
        with self._lock:
            recorders = list(self.cameras.values())
        return {path for recorder in recorders if (path := recorder.current_path) is not None}
