"""Motion gate and masks, when the detector runs, motion crops on pictures much larger than the model."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import cv2
import numpy as np

from analytics.camera import CameraPipeline
from analytics.motion import MotionGate
from analytics.regions import crops_for, needs_crops
from analytics.rules import RuleEngine
from analytics.worker import DetectorWorker
from tests.analytics.helpers import asset
from wawai.config.schema import CameraConfig, DetectSettings
from wawai.media import VideoFrame


def grey(width: int = 640, height: int = 480) -> np.ndarray:
    return np.full((height, width, 3), 90, dtype=np.uint8)


def with_square(x: int, y: int, size: int = 60) -> np.ndarray:
    image = grey()
    image[y : y + size, x : x + size] = 230
    return image


def test_motion_found_where_something_moved_and_not_under_a_mask():
    gate = MotionGate()
    assert not gate.update(grey()).moving  # the first picture only learns the background
    motion = gate.update(with_square(400, 300))
    assert motion.moving and motion.fraction > 0
    x1, y1, x2, y2 = motion.regions[0]
    assert x1 <= 400 and y1 <= 300 and x2 >= 460 and y2 >= 360

    masked = MotionGate(masks=[[(0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0)]])
    masked.update(grey())
    assert not masked.update(with_square(400, 300)).moving  # a tree swaying in the masked corner
    assert masked.update(with_square(50, 50)).moving


def test_still_picture_runs_the_detector_only_now_and_then(yolox_worker: DetectorWorker):
    camera = CameraConfig.model_validate({"id": "still", "streams": {"main": "x.mp4"}})
    detect = DetectSettings()
    frame = _vtest_frame(49)  # people standing still in a frozen picture
    pipeline = CameraPipeline(
        camera, detect, RuleEngine(camera, detect, ZoneInfo("UTC")), worker=yolox_worker, store=None, bus=None
    )
    for step in range(50):  # 10 s at 5 fps
        pipeline.process(VideoFrame("still", "main", frame, step * 0.2, step * 0.2, step))
    # Tracked but not moving: rechecked once a second (plus the first run), never every frame.
    assert 10 <= pipeline.stats.detect_runs <= 12
    assert pipeline.stats.gate_skips == 50 - pipeline.stats.detect_runs
    assert len(pipeline.tracker.confirmed) >= 5  # and they stay tracked between rechecks

    empty = CameraPipeline(
        camera, detect, RuleEngine(camera, detect, ZoneInfo("UTC")), worker=yolox_worker, store=None, bus=None
    )
    for step in range(55):  # 11 s
        empty.process(VideoFrame("still", "main", grey(), step * 0.2, step * 0.2, step))
    assert empty.stats.detect_runs == 2  # at start, and the 10 s idle recheck


def test_crops_cover_the_boxes_at_model_size():
    assert needs_crops(1920, 1080, 416, 416) and not needs_crops(640, 480, 416, 416)
    crops = crops_for([(100, 100, 150, 200), (1500, 800, 1550, 900)], 1920, 1080, 416, 416)
    assert crops is not None and len(crops) == 2
    for (x1, y1, x2, y2), (bx1, by1, bx2, by2) in zip(crops, [(100, 100, 150, 200), (1500, 800, 1550, 900)],
                                                      strict=True):
        assert x2 - x1 >= 416 and y2 - y1 >= 416 and x1 <= bx1 and x2 >= bx2 and y1 <= by1 and y2 >= by2
    # Overlapping crops merge; crops covering most of the picture give way to the whole picture.
    assert crops_for([(100, 100, 150, 200), (200, 120, 250, 220)], 1920, 1080, 416, 416) == [(0, 0, 433, 416)]
    assert crops_for([(0, 0, 1900, 1000)], 1920, 1080, 416, 416) is None


def test_small_people_in_a_large_picture_are_found_through_motion_crops(yolox_worker: DetectorWorker):
    """vtest's walkway pasted into a 2560x1440 picture: shrunk to 416 px the people are a few pixels tall;
    cropped around the motion they are detected at the model's resolution."""
    canvas = np.full((1440, 2560, 3), 90, dtype=np.uint8)
    scene = canvas.copy()
    scene[800:1280, 1700:2340] = _vtest_frame(49)
    whole = yolox_worker.detect("big", [scene], 0.4)
    assert whole is not None
    people_whole = [d for d in whole[0] if d.label == "person"]

    camera = CameraConfig.model_validate({"id": "big", "streams": {"main": "x.mp4"}})
    detect = DetectSettings()
    pipeline = CameraPipeline(
        camera, detect, RuleEngine(camera, detect, ZoneInfo("UTC")),
        worker=yolox_worker, store=None, bus=None, model_size=(416, 416),
    )
    pipeline.process(VideoFrame("big", "main", canvas, 0.0, 0.0, 0))
    pipeline.process(VideoFrame("big", "main", scene, 0.2, 0.2, 1))
    assert pipeline.stats.crops >= 1
    found = pipeline.tracker.tracks  # new (tentative) tracks hold the detections of the cropped run
    people = [t for t in found if t.label == "person" and t.box[0] >= 1700 and t.box[2] <= 2340]
    assert len(people) >= 5 > len(people_whole) + 2


def _vtest_frame(index: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(asset("video/vtest_640x480_h264.mp4")))
    try:
        for _ in range(index + 1):
            ok, frame = capture.read()
            assert ok
        return np.asarray(frame, dtype=np.uint8)
    finally:
        capture.release()


def test_forget_all_ends_open_incidents_when_pictures_stop(yolox_worker: DetectorWorker):
    camera = CameraConfig.model_validate({
        "id": "still", "streams": {"main": "x.mp4"},
        "zones": [{"name": "all", "polygon": [(0, 0), (1, 0), (1, 1), (0, 1)]}],
        "rules": [{"name": "any", "type": "intrusion", "zone": "all", "objects": ["person"], "cooldown": 0}],
    })
    detect = DetectSettings()
    pipeline = CameraPipeline(
        camera, detect, RuleEngine(camera, detect, ZoneInfo("UTC")), worker=yolox_worker, store=None, bus=None
    )
    frame = _vtest_frame(49)
    started = []
    for step in range(20):  # a still picture: rechecked once a second, confirmed on the third run
        started += pipeline.process(VideoFrame("still", "main", frame, step * 0.2, step * 0.2, step))
    assert started and pipeline.engine.open_keys()
    ended = pipeline.forget_all(60.0)
    assert {e.key for e in ended} == {e.key for e in started} and all(e.kind == "end" for e in ended)
    assert pipeline.tracker.tracks == [] and pipeline.engine.open_keys() == []
