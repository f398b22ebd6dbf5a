"""The shared detector worker: fair across cameras, measures queue and inference time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analytics.detector import Detector
from analytics.manifest import load_manifest
from analytics.worker import DetectorWorker


def fastest() -> Detector:
    return Detector(load_manifest("fastestdet", ["models"], Path(".")), threads=1)


def test_a_busy_camera_cannot_starve_another():
    worker = DetectorWorker(fastest(), per_camera_max=50)
    picture = np.zeros((240, 320, 3), dtype=np.uint8)
    # Queue before the thread starts, so the order the worker sees is fixed.
    busy = [worker.submit("busy", picture, 0.5) for _ in range(20)]
    quiet = worker.submit("quiet", picture, 0.5)
    worker.start()
    try:
        assert quiet.wait(10) and all(req.wait(30) for req in busy)
    finally:
        worker.stop()
    finished_before_quiet = sum(1 for req in busy if req.queue_seconds < quiet.queue_seconds)
    assert finished_before_quiet <= 1  # round robin: quiet goes second, not 21st
    assert quiet.detections == [] and quiet.inference_seconds > 0
    load = worker.load("busy")
    assert load["requests"] == 20 and load["inference_ms"] > 0 and load["queue_ms"] > 0


def test_overflow_drops_the_oldest_and_counts_it():
    worker = DetectorWorker(fastest(), per_camera_max=2)
    picture = np.zeros((100, 100, 3), dtype=np.uint8)
    first = worker.submit("cam", picture, 0.5)
    worker.submit("cam", picture, 0.5)
    worker.submit("cam", picture, 0.5)
    assert first.wait(0) and first.error and "dropped" in first.error
    assert worker.load("cam")["dropped"] == 1
    worker.stop()


def test_fixed_batch_models_run_back_to_back():
    worker = DetectorWorker(fastest(), batch_max=4)
    assert worker.batch_max == 1  # the shared files take batch 1 only
    worker.start()
    try:
        picture = np.zeros((100, 100, 3), dtype=np.uint8)
        results = worker.detect("cam", [picture, picture, picture], 0.5)
        assert results == [[], [], []]
        assert worker.batches == 3
    finally:
        worker.stop()
