"""One detector thread for every camera: fair round-robin, batches when the model allows it.

Cameras submit pictures and wait on the returned request. Each camera has its own small queue; the
worker takes at most one picture per camera per turn, so a camera with many pending pictures (crops,
a high detect rate) cannot starve the others. onnxruntime releases the GIL while it runs, so one
thread here keeps the camera threads free to decode and track.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from analytics.detection import Detection
from analytics.detector import Detector
from wawai.media import BGRImage

log = logging.getLogger(__name__)


@dataclass(eq=False)
class DetectRequest:
    camera_id: str
    image: BGRImage
    threshold: float
    submitted: float = field(default_factory=time.perf_counter)
    detections: list[Detection] | None = None
    error: str | None = None
    queue_seconds: float = 0.0
    inference_seconds: float = 0.0
    _done: threading.Event = field(default_factory=threading.Event)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def finish(self) -> None:
        self._done.set()


@dataclass
class CameraLoad:
    """What the worker measured for one camera (averages are exponential, about the last 20)."""

    requests: int = 0
    dropped: int = 0
    queue_ms: float = 0.0
    inference_ms: float = 0.0

    def add(self, queue_s: float, inference_s: float) -> None:
        alpha = 0.1 if self.requests else 1.0
        self.requests += 1
        self.queue_ms += alpha * (queue_s * 1000 - self.queue_ms)
        self.inference_ms += alpha * (inference_s * 1000 - self.inference_ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "dropped": self.dropped,
            "queue_ms": round(self.queue_ms, 2),
            "inference_ms": round(self.inference_ms, 2),
        }


class DetectorWorker:
    def __init__(self, detector: Detector, *, batch_max: int = 4, per_camera_max: int = 8) -> None:
        self.detector = detector
        # Batching only pays when the model takes a free batch axis; else pictures run back to back.
        self.batch_max = batch_max if detector.dynamic_batch else 1
        self.per_camera_max = per_camera_max
        self._cond = threading.Condition()
        self._pending: dict[str, deque[DetectRequest]] = {}
        self._turn: deque[str] = deque()  # round-robin order of cameras with pending pictures
        self._loads: dict[str, CameraLoad] = {}
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.pictures = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="detector", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            leftovers = [req for queue in self._pending.values() for req in queue]
            self._pending.clear()
            self._turn.clear()
        for req in leftovers:
            req.error = "detector stopped"
            req.finish()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def submit(self, camera_id: str, image: BGRImage, threshold: float) -> DetectRequest:
        req = DetectRequest(camera_id, image, threshold)
        dropped: DetectRequest | None = None
        with self._cond:
            if self._stopping:
                req.error = "detector stopped"
                req.finish()
                return req
            queue = self._pending.setdefault(camera_id, deque())
            load = self._loads.setdefault(camera_id, CameraLoad())
            if len(queue) >= self.per_camera_max:
                dropped = queue.popleft()
                load.dropped += 1
            queue.append(req)
            if camera_id not in self._turn:
                self._turn.append(camera_id)
            self._cond.notify()
        if dropped is not None:
            dropped.error = "dropped: camera queue full"
            dropped.finish()
        return req

    def detect(self, camera_id: str, images: list[BGRImage], threshold: float, timeout: float = 10.0) -> (
        list[list[Detection]] | None
    ):
        """Detections for each picture, or None if any was dropped or the worker is gone."""
        requests = [self.submit(camera_id, image, threshold) for image in images]
        deadline = time.monotonic() + timeout
        for req in requests:
            if not req.wait(max(0.0, deadline - time.monotonic())) or req.detections is None:
                return None
        return [req.detections or [] for req in requests]

    def load(self, camera_id: str) -> dict[str, Any]:
        with self._cond:
            load = self._loads.get(camera_id)
            return load.to_json() if load else CameraLoad().to_json()

    def _take_batch(self) -> list[DetectRequest]:
        """Up to batch_max pictures, one per camera per turn, oldest camera turn first."""
        batch: list[DetectRequest] = []
        while self._turn and len(batch) < self.batch_max:
            camera_id = self._turn.popleft()
            queue = self._pending.get(camera_id)
            if not queue:
                continue
            batch.append(queue.popleft())
            if queue:
                self._turn.append(camera_id)  # back of the line: others go first
        return batch

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._turn:
                    self._cond.wait()
                if self._stopping:
                    return
                batch = self._take_batch()
            if batch:
                self._run_batch(batch)

    def _run_batch(self, batch: list[DetectRequest]) -> None:
        started = time.perf_counter()
        # One threshold per batch: the lowest asked; each request filters to its own below.
        threshold = min(req.threshold for req in batch)
        try:
            results = self.detector.detect_batch([req.image for req in batch], threshold)
        except Exception as exc:  # a bad picture must not kill the thread serving every camera
            log.exception("detector failed on a batch of %d", len(batch))
            for req in batch:
                req.error = f"detector failed: {exc}"
                req.finish()
            return
        elapsed = time.perf_counter() - started
        per_picture = elapsed / len(batch)
        self.batches += 1
        self.pictures += len(batch)
        with self._cond:
            for req in batch:
                req.queue_seconds = started - req.submitted
                req.inference_seconds = per_picture
                self._loads.setdefault(req.camera_id, CameraLoad()).add(req.queue_seconds, per_picture)
        for req, found in zip(batch, results, strict=True):
            req.detections = [det for det in found if det.score >= req.threshold]
            req.finish()
