"""Output decoders against synthetic tensors with a known box, and the real models on a real frame."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from analytics.decoders import fastestdet, yolov8, yolox
from analytics.detector import Detector
from analytics.manifest import load_manifest
from analytics.nms import nms
from tests.analytics.helpers import asset

# vtest at 4.9 s (frame 49): five people on the walkway, their centres marked by eye on the saved frame.
KNOWN_PEOPLE = [(321, 182), (376, 176), (441, 220), (481, 218), (584, 262)]


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_yolox_decodes_a_known_box():
    out = np.zeros((yolox.anchors(416, 416), 85), dtype=np.float32)
    # Stride 16 grid starts after the 52x52 stride-8 cells; cell (gx=10, gy=5) of the 26x26 grid.
    row = 52 * 52 + 5 * 26 + 10
    out[row, 0:4] = [0.5, 0.25, math.log(4.0), math.log(6.0)]  # cx=(10.5)*16, cy=5.25*16, w=64, h=96
    out[row, 4] = 0.9
    out[row, 5 + 2] = 0.8  # class 2 (car)
    boxes, scores, classes = yolox.decode(out, 416, 416, 0.3)
    assert classes.tolist() == [2]
    assert scores[0] == pytest.approx(0.72)
    assert boxes[0] == pytest.approx([168 - 32, 84 - 48, 168 + 32, 84 + 48])
    assert yolox.check_shape((3549, 85), 416, 416, 80) is None
    assert "3549" in (yolox.check_shape((2000, 85), 416, 416, 80) or "")


def test_fastestdet_decodes_a_known_box():
    out = np.zeros((85, 22, 22), dtype=np.float32)
    out[0] = 0.01
    gy, gx = 11, 4
    out[0, gy, gx] = 0.81
    out[1, gy, gx] = math.atanh(0.5)  # x offset 0.5 of a cell
    out[2, gy, gx] = 0.0
    out[3, gy, gx] = _logit(0.25)  # width a quarter of the input
    out[4, gy, gx] = _logit(0.5)
    out[5 + 0, gy, gx] = 0.9  # person
    boxes, scores, classes = fastestdet.decode(out, 352, 352, 0.5)
    assert classes.tolist() == [0]
    assert scores[0] == pytest.approx(0.81**0.6 * 0.9**0.4, rel=1e-5)
    cx, cy = (4 + 0.5) / 22 * 352, 11 / 22 * 352
    assert boxes[0] == pytest.approx([cx - 44, cy - 88, cx + 44, cy + 88], abs=1e-3)
    assert fastestdet.check_shape((85, 22, 22), 352, 352, 80) is None
    assert fastestdet.check_shape((3549, 85), 352, 352, 80) is not None


def test_yolov8_decodes_both_layouts():
    out = np.zeros((84, 100), dtype=np.float32)
    out[0:4, 7] = [200, 100, 40, 80]
    out[4 + 5, 7] = 0.7  # bus
    for tensor in (out, out.T.copy()):
        boxes, scores, classes = yolov8.decode(tensor, 640, 640, 0.25)
        assert classes.tolist() == [5]
        assert scores[0] == pytest.approx(0.7)
        assert boxes[0] == pytest.approx([180, 60, 220, 140])


def test_nms_keeps_the_best_of_overlapping_boxes_per_class():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]], dtype=np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6], dtype=np.float32)
    classes = np.array([0, 0, 1, 0], dtype=np.int64)
    assert sorted(nms(boxes, scores, classes, 0.5).tolist()) == [0, 2, 3]


@pytest.mark.parametrize("model", ["yolox-nano", "fastestdet"])
def test_real_model_finds_the_known_people(model: str):
    frame = _vtest_frame(49)
    detector = Detector(load_manifest(model, ["models"], Path(".")), threads=2)
    people = [d for d in detector.detect(frame, 0.4) if d.label == "person"]
    for x, y in KNOWN_PEOPLE:
        around = [d for d in people if d.x1 <= x <= d.x2 and d.y1 <= y <= d.y2]
        assert around, f"{model}: no person at {x},{y}"
        # In frame pixels (letterbox or stretch undone), a standing person's box is taller than wide.
        best = max(around, key=lambda d: d.score)
        assert best.height > 1.5 * best.width
    assert all(0 <= d.x1 < d.x2 <= 640 and 0 <= d.y1 < d.y2 <= 480 for d in people)


def _vtest_frame(index: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(asset("video/vtest_640x480_h264.mp4")))
    try:
        for _ in range(index + 1):
            ok, frame = capture.read()
            assert ok
        return frame
    finally:
        capture.release()
