"""The recorder stage: one recording thread per camera, retention, and the recordings service."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from recorder.camera_recorder import CameraRecorder
from recorder.index import SegmentIndex
from recorder.recovery import reconcile
from recorder.retention import Retention
from recorder.service import RecordingsService
from wawai.recordings import SERVICE_NAME, SegmentView
from wawai.stage import StageContext

log = logging.getLogger(__name__)


class RecorderStage:
    name = "recording"

    def __init__(self, ctx: StageContext) -> None:
        self.ctx = ctx
        self.storage = ctx.storage
        self.index = SegmentIndex(self.storage, ctx.sessions)
        self.retention = Retention(ctx.config, ctx.sessions, self._live_paths)
        self.cameras: dict[str, CameraRecorder] = {}
        defaults = ctx.config.site.defaults.record
        for camera_id, camera in ctx.config.cameras.items():
            settings = camera.record_settings(defaults)
            if settings.mode == "off":
                continue
            self.cameras[camera_id] = CameraRecorder(
                camera_id, ctx.hub, self.storage, settings.segment_seconds, self.index,
                on_disk_full=lambda: self.retention.wake(disk_full=True),
                on_state=partial(self._publish_state, camera_id))
        ctx.services[SERVICE_NAME] = RecordingsService(self.storage, ctx.sessions, self._live_segment)

    def start(self) -> None:
        # Before any new file exists, so every file without a row is one a crash cut short.
        reconcile(self.storage, self.ctx.sessions)
        for camera_id, recorder in self.cameras.items():
            try:
                recorder.start()
            except KeyError:
                log.warning("camera %s: not in the stream hub; not recorded", camera_id)
        self.retention.start()
        log.info("recording %d camera(s) into %s", len(self.cameras), self.storage)

    def stop(self) -> None:
        for recorder in self.cameras.values():
            recorder.stop()
        self.retention.stop()

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
        return {path for recorder in self.cameras.values() if (path := recorder.current_path) is not None}
