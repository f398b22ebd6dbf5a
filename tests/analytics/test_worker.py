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


def _free_batch_copy(source: Path, target: Path, *, fix_reshapes: bool) -> Path:
    """The model with its batch axis declared free; ``fix_reshapes`` also makes Reshape targets that
    hard-code a batch of 1 copy the input's batch (0 in an ONNX Reshape shape) so it really works."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    for value in (*model.graph.input, *model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    if fix_reshapes:
        initializers = {init.name: init for init in model.graph.initializer}
        for node in model.graph.node:
            if node.op_type == "Reshape" and node.input[1] in initializers:
                tensor = initializers[node.input[1]]
                shape = numpy_helper.to_array(tensor).copy()
                if shape.size and shape[0] == 1:
                    shape[0] = 0
                    tensor.CopyFrom(numpy_helper.from_array(shape, tensor.name))
    onnx.save(model, str(target))
    return target


def _detector_for(name: str, weights: Path) -> Detector:
    from analytics.manifest import ModelManifest

    shipped = load_manifest(name, ["models"], Path("."))
    return Detector(ModelManifest(shipped.spec, shipped.manifest_path, weights, shipped.labels), threads=2)


def test_requests_arriving_together_share_one_run_when_the_batch_axis_is_free(tmp_path):
    """YOLOX with a free batch axis: three cameras' pictures go through one session run, same results."""
    from tests.analytics.helpers import asset

    source = asset("models/yolox_nano_416x416.onnx")
    weights = _free_batch_copy(source, tmp_path / "yolox-b.onnx", fix_reshapes=True)
    dynamic = _detector_for("yolox-nano", weights)
    assert dynamic.dynamic_batch

    frames = [_vtest(i) for i in (10, 49, 120)]
    single = Detector(load_manifest("yolox-nano", ["models"], Path(".")), threads=2)
    one_by_one = [single.detect(frame, 0.5) for frame in frames]
    worker = DetectorWorker(dynamic, batch_max=4)
    requests = [worker.submit(f"cam{i}", frame, 0.5) for i, frame in enumerate(frames)]
    worker.start()
    try:
        assert all(req.wait(10) for req in requests)
    finally:
        worker.stop()
    assert worker.batches == 1 and worker.pictures == 3
    for req, expected in zip(requests, one_by_one, strict=True):
        assert req.detections is not None and len(req.detections) == len(expected) > 0
        for got, want in zip(req.detections, expected, strict=True):
            assert got.label == want.label and abs(got.score - want.score) < 1e-3
            assert max(abs(a - b) for a, b in zip(got.box, want.box, strict=True)) < 0.5


def test_a_free_batch_axis_that_does_not_work_falls_back_to_one_by_one(tmp_path):
    """FastestDet's graph hard-codes a batch of 1 in a Reshape: declared free, it still fails on 2."""
    from tests.analytics.helpers import asset

    source = asset("models/fastestdet_352x352.onnx")
    weights = _free_batch_copy(source, tmp_path / "fd-b.onnx", fix_reshapes=False)
    detector = _detector_for("fastestdet", weights)
    assert not detector.dynamic_batch
    assert len(detector.detect_batch([_vtest(49), _vtest(49)], 0.5)) == 2


def _vtest(index: int) -> np.ndarray:
    import cv2

    from tests.analytics.helpers import asset

    capture = cv2.VideoCapture(str(asset("video/vtest_640x480_h264.mp4")))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
        assert ok
        return np.asarray(frame, dtype=np.uint8)
    finally:
        capture.release()
