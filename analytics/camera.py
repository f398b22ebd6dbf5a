"""One camera's analytics: motion gate -> detector (shared worker) -> tracker -> rules -> incidents.

``process`` handles one decoded frame and is called from the camera's own thread (or directly by
tests and the benchmark). Every time is the frame's capture time (``VideoFrame.wallclock``).

When the detector runs:
- there is motion (outside the motion masks), or
- tracked objects are moving, or a tracked object was just lost (missed once), or
- tracked objects stand still: rechecked every ``recheck_seconds`` so they stay tracked, or
- nothing happened for ``idle_recheck_seconds``: catches someone already standing there at start.

Quiet scenes: after ``detect.quiet_after`` seconds with no motion and nothing tracked, the pipeline
says ``quiet``; the stage then asks ingest for keyframes only, so a quiet camera costs one decode and
one motion check per keyframe interval. Motion on a keyframe makes it active again at once (and the
detector runs on that keyframe), so the wake-up time is at most one keyframe interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.activity import ActivityCounter
from analytics.detection import Detection
from analytics.incident_store import DrawnBox, IncidentStore
from analytics.motion import MotionGate
from analytics.nms import nms
from analytics.regions import crops_for, needs_crops
from analytics.rules import Key, RuleEngine, RuleEvent
from analytics.tracker import Track, Tracker, TrackState
from analytics.worker import DetectorWorker
from wawai.bus import EventBus
from wawai.cluster.fencing import StaleOwnership
from wawai.config.schema import CameraConfig, DetectSettings
from wawai.media import BGRImage, VideoFrame

log = logging.getLogger(__name__)

LOW_SCORE = 0.1  # ByteTrack's second stage wants the weak detections too
RATE_WINDOW = 10.0  # seconds over which the detect rate a camera got is measured


@dataclass
class PipelineStats:
    frames: int = 0
    detect_runs: int = 0
    gate_skips: int = 0  # frames the motion gate kept from the detector
    detect_failures: int = 0
    crops: int = 0
    frame_drops: int = 0  # frames ingest dropped because this camera's analysis fell behind
    incidents: int = 0
    first_frame_at: float | None = None
    last_frame_at: float | None = None
    process_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "detect_runs": self.detect_runs,
            "gate_skips": self.gate_skips,
            "detect_failures": self.detect_failures,
            "crops": self.crops,
            "frame_drops": self.frame_drops,
            "incidents": self.incidents,
            "first_frame_at": self.first_frame_at,
            "last_frame_at": self.last_frame_at,
            "process_ms": round(self.process_ms, 2),
        }


class CameraPipeline:
    def __init__(
        self,
        camera: CameraConfig,
        detect: DetectSettings,
        engine: RuleEngine,
        *,
        worker: DetectorWorker | None,
        store: IncidentStore | None,
        bus: EventBus | None,
        model_size: tuple[int, int] | None = None,
        recheck_seconds: float = 1.0,
        idle_recheck_seconds: float = 10.0,
        activity: ActivityCounter | None = None,
    ) -> None:
        self.camera = camera
        self.detect = detect
        self.engine = engine
        self.worker = worker
        self.store = store
        self.bus = bus
        self.model_size = model_size
        self.recheck_seconds = recheck_seconds
        self.idle_recheck_seconds = idle_recheck_seconds
        self.activity = activity  # per-minute counts for the recordings timeline
        self.gate = MotionGate(detect.motion_masks)
        scores = [detect.min_score, *(r.min_score for r in camera.rules if r.min_score is not None)]
        self.tracker = Tracker(high_score=min(scores), low_score=min(LOW_SCORE, min(scores)))
        labels = set(detect.objects)
        for rule in camera.rules:
            labels.update(rule.objects or [])
        self.labels = labels
        self.stats = PipelineStats()
        self.lock = threading.Lock()  # the offline monitor and the frame thread share the engine
        self.open_incidents: dict[Key, int] = {}
        self.last_image: BGRImage | None = None
        self._last_detect: float | None = None
        self._published_boxes = False
        self.motion_fraction = 0.0
        self._last_activity: float | None = None  # motion or something tracked, capture time
        self.quiet = False
        self._mode_since: float | None = None
        self._full_frames: deque[float] = deque()  # capture times of full-rate frames in RATE_WINDOW

    @property
    def camera_id(self) -> str:
        return self.camera.id

    def process(self, frame: VideoFrame) -> list[RuleEvent]:
        started = time.perf_counter()
        at = frame.wallclock
        image = frame.image
        motion = self.gate.update(image)
        self.motion_fraction = motion.fraction
        ran = False
        found = 0
        ended: list[Track] = []
        if self.worker is not None:
            if self._should_detect(motion.moving, at):
                boxes = [*motion.regions, *(tuple(t.predict(at)) for t in self.tracker.active)]
                detections = self._detect(image, boxes)
                if detections is not None:
                    ran = True
                    found = len(detections)
                    self._last_detect = at
                    ended = self.tracker.update(detections, at)
            else:
                self.stats.gate_skips += 1
        if not ran:
            ended = self.tracker.expire(at)
        self._update_mode(motion.moving, at)
        with self.lock:
            self.last_image = image
            height, width = image.shape[:2]
            events = self.engine.evaluate(self.tracker.tracks, at, width, height)
            self._handle(events, image)
            self.engine.forget_tracks({t.id for t in ended})
        self._publish_boxes(at, width, height)
        if self.activity is not None:
            self.activity.add(at, motion.moving, found)
        self.stats.frames += 1
        if self.stats.first_frame_at is None:
            self.stats.first_frame_at = at
        self.stats.last_frame_at = at
        elapsed = (time.perf_counter() - started) * 1000
        self.stats.process_ms += (elapsed - self.stats.process_ms) * (0.1 if self.stats.frames > 1 else 1.0)
        return events

    def forget_all(self, at: float) -> list[RuleEvent]:
        """No pictures for a while (camera offline): every track is gone, their incidents end at ``at``."""
        with self.lock:
            if not self.tracker.tracks or self.last_image is None:
                return []
            gone = {t.id for t in self.tracker.tracks}
            self.tracker.tracks = []
            height, width = self.last_image.shape[:2]
            events = self.engine.evaluate([], at, width, height)
            self._handle(events, self.last_image)
            self.engine.forget_tracks(gone)
        self._publish_boxes(at, width, height)
        return events

    def camera_state(self, offline: bool, at: float) -> list[RuleEvent]:
        """Feed the ingest state to the camera_offline rules."""
        with self.lock:
            events = self.engine.camera_state(offline, at)
            self._handle(events, self.last_image)
        return events

    def _update_mode(self, moving: bool, at: float) -> None:
        if moving or self.tracker.tracks or self._last_activity is None:
            self._last_activity = at
        quiet_after = self.detect.quiet_after
        quiet = quiet_after > 0 and at - self._last_activity >= quiet_after
        if quiet != self.quiet or self._mode_since is None:
            self.quiet, self._mode_since = quiet, at
            self._full_frames.clear()
        if not quiet:
            self._full_frames.append(at)
        while self._full_frames and self._full_frames[0] < at - RATE_WINDOW:
            self._full_frames.popleft()

    def detect_rate(self) -> dict[str, Any]:
        """Frames analysed per second while active, against ``detect.fps`` (the rate it wanted)."""
        wanted = self.detect.fps
        frames = self._full_frames
        if self.quiet or self._mode_since is None or len(frames) < 2:
            return {"wanted": wanted, "got": None, "fraction": None}
        span = min(RATE_WINDOW, frames[-1] - max(self._mode_since, frames[-1] - RATE_WINDOW))
        got = (len(frames) - 1) / span if span > 0 else 0.0
        return {"wanted": wanted, "got": round(got, 2), "fraction": round(min(1.0, got / wanted), 3)}

    def _should_detect(self, moving: bool, at: float) -> bool:
        if self._last_detect is None or at - self._last_detect >= self.idle_recheck_seconds:
            return True
        tracks = self.tracker.tracks
        settled = [t for t in tracks if t.state != TrackState.TENTATIVE]
        if moving or any(t.moving or t.state == TrackState.LOST for t in settled):
            return True  # a lost track is looked for on every frame until found or forgotten
        return bool(tracks) and at - self._last_detect >= self.recheck_seconds

    def _detect(
        self, image: BGRImage, boxes: list[tuple[float, float, float, float]]
    ) -> list[Detection] | None:
        assert self.worker is not None
        height, width = image.shape[:2]
        crops = None
        if self.model_size and boxes and needs_crops(width, height, *self.model_size):
            crops = crops_for(boxes, width, height, *self.model_size)
        if crops is None:
            found = self.worker.detect(self.camera_id, [image], LOW_SCORE)
            self.stats.detect_runs += 1
            if found is None:
                self.stats.detect_failures += 1
                return None
            return [d for d in found[0] if d.label in self.labels]
        pictures = [image[y1:y2, x1:x2] for x1, y1, x2, y2 in crops]
        results = self.worker.detect(self.camera_id, pictures, LOW_SCORE)
        self.stats.detect_runs += 1
        self.stats.crops += len(crops)
        if results is None:
            self.stats.detect_failures += 1
            return None
        merged = [
            Detection(d.x1 + x1, d.y1 + y1, d.x2 + x1, d.y2 + y1, d.score, d.label)
            for (x1, y1, _, _), found in zip(crops, results, strict=True)
            for d in found
            if d.label in self.labels
        ]
        return _dedupe(merged)

    def _handle(self, events: list[RuleEvent], image: BGRImage | None) -> None:
        if self.store is None:
            return
        for event in events:
            try:
                if event.kind == "end":
                    incident_id = self.open_incidents.pop(event.key, None)
                    if incident_id is not None:
                        self.store.close(incident_id, event.at)
                    continue
                line = list(event.rule.line) if event.rule.line else None
                zone = self.engine.zones.get(event.zone or "") or line
                incident_id = self.store.open(self.camera_id, event, image, self._drawn(event), zone)
                self.stats.incidents += 1
                if event.kind == "start":
                    self.open_incidents[event.key] = incident_id
            except StaleOwnership:
                return  # a cluster node that lost the camera: logged and stopping already
            except Exception:  # a database hiccup must not stop the camera's analytics
                log.exception("camera %s: incident for rule %s not stored", self.camera_id, event.rule.name)

    def _drawn(self, event: RuleEvent) -> list[DrawnBox]:
        return [
            DrawnBox(tuple(float(v) for v in t.box), t.label, t.id, t.id in event.track_ids)  # type: ignore[arg-type]
            for t in self.tracker.tracks
            if t.state == TrackState.CONFIRMED
        ]

    def _publish_boxes(self, at: float, width: int, height: int) -> None:
        """Live overlay boxes at the detect rate, only while something is tracked (one empty to clear)."""
        if self.bus is None:
            return
        tracks = self.tracker.confirmed
        if not tracks and not self._published_boxes:
            return
        self._published_boxes = bool(tracks)
        self.bus.publish(
            {
                "type": "detections",
                "camera": self.camera_id,
                "camera_id": self.camera_id,  # /api/events filters on it
                "ts": at,
                "boxes": [
                    {
                        "x": round(float(t.box[0]) / width, 4),
                        "y": round(float(t.box[1]) / height, 4),
                        "w": round(float(t.box[2] - t.box[0]) / width, 4),
                        "h": round(float(t.box[3] - t.box[1]) / height, 4),
                        "label": t.label,
                        "score": round(t.score, 3),
                        "track": t.id,
                    }
                    for t in tracks
                ],
            }
        )

    def status(self) -> dict[str, Any]:
        with self.lock:
            tracks = self.tracker.tracks
            return {
                **self.stats.to_json(),
                "tracks": sum(1 for t in tracks if t.state == TrackState.CONFIRMED),
                "motion": round(self.motion_fraction, 4),
                "open_incidents": len(self.open_incidents),
                "mode": "keyframes" if self.quiet else "full",
                "mode_since": self._mode_since,
                "detect_rate": self.detect_rate(),
            }


def _dedupe(detections: list[Detection]) -> list[Detection]:
    """Overlapping crops see the same object twice: keep the best box of each."""
    if len(detections) < 2:
        return detections
    boxes = np.array([d.box for d in detections], dtype=np.float32)
    scores = np.array([d.score for d in detections], dtype=np.float32)
    names = sorted({d.label for d in detections})
    classes = np.array([names.index(d.label) for d in detections], dtype=np.int64)
    return [detections[int(i)] for i in nms(boxes, scores, classes, 0.5)]
