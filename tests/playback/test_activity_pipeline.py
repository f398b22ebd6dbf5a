"""Analytics counts activity per minute as it analyses frames (motion-only pipeline, real footage, SQLite)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from analytics.activity import ActivityCounter
from analytics.camera import CameraPipeline
from analytics.rules import RuleEngine
from tests.analytics.helpers import clip_frames
from wawai.config.schema import CameraConfig, DetectSettings
from wawai.db.activity import minutes_between
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade


def test_pipeline_counts_frames_and_motion_per_minute(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'wawai.db'}"
    upgrade(url)
    sessions = make_sessionmaker(url)
    camera = CameraConfig.model_validate({"id": "vt", "streams": {"main": "x.mp4"}})
    detect = DetectSettings()
    counter = ActivityCounter("vt", sessions)
    pipeline = CameraPipeline(camera, detect, RuleEngine(camera, detect, ZoneInfo("UTC")), worker=None,
                              store=None, bus=None, activity=counter)
    frames = 0
    for frame in clip_frames(fps=5.0, camera_id="vt"):
        pipeline.process(frame)
        frames += 1
    counter.flush()
    with sessions() as db:
        minutes = minutes_between(db, "vt", 1_800_000_000 - 60, 1_800_000_000 + 120)
    assert sum(m.frames for m in minutes) == frames
    assert 0 < sum(m.motion_frames for m in minutes) <= frames  # people walk through the clip
    assert all(m.minute % 60 == 0 for m in minutes)
    counter.flush()  # nothing pending: no second write
    with sessions() as db:
        assert sum(m.frames for m in minutes_between(db, "vt", 0, 2e9)) == frames
