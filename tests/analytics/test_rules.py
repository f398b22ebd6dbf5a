"""Rules on synthetic tracks: each rule type, filters, cooldown, and the schedule (clock injected)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from analytics.rules import RuleEngine, RuleEvent
from analytics.schedule import in_schedule
from analytics.tracker import Track, TrackState
from wawai.config.schema import CameraConfig, DetectSettings

W, H = 1000, 1000
JAKARTA = ZoneInfo("Asia/Jakarta")
ZONE = [(0.4, 0.4), (0.6, 0.4), (0.6, 0.6), (0.4, 0.6)]


def camera(*rules: dict[str, Any]) -> CameraConfig:
    return CameraConfig.model_validate(
        {"id": "cam", "streams": {"main": "x.mp4"}, "zones": [{"name": "z", "polygon": ZONE}],
         "rules": list(rules)}
    )


def track(tid: int, feet_x: float, feet_y: float, label: str = "person", score: float = 0.9,
          state: TrackState = TrackState.CONFIRMED, size: float = 40) -> Track:
    box = np.array([feet_x * W - size / 2, feet_y * H - 2 * size, feet_x * W + size / 2, feet_y * H])
    return Track(tid, label, box, score, 0.0, 0.0, state=state, hits=5, best_score=score)


def engine(*rules: dict[str, Any], clock=None, detect: DetectSettings | None = None) -> RuleEngine:
    return RuleEngine(camera(*rules), detect or DetectSettings(), JAKARTA, schedule_clock=clock)


def kinds(events: list[RuleEvent]) -> list[tuple[str, str, int | None]]:
    return [(e.kind, e.rule.name, e.key[1]) for e in events]


INTRUSION = {"name": "in", "type": "intrusion", "zone": "z", "objects": ["person"], "cooldown": 0}


def test_intrusion_starts_when_the_feet_enter_and_ends_when_they_leave():
    rules = engine(INTRUSION)
    assert rules.evaluate([track(1, 0.3, 0.5)], 0.0, W, H) == []
    assert kinds(rules.evaluate([track(1, 0.45, 0.5)], 0.2, W, H)) == [("start", "in", 1)]
    assert rules.evaluate([track(1, 0.5, 0.5)], 0.4, W, H) == []
    assert kinds(rules.evaluate([track(1, 0.7, 0.5)], 0.6, W, H)) == [("end", "in", 1)]
    # One incident per (track, rule): coming back does not fire again.
    assert rules.evaluate([track(1, 0.5, 0.5)], 0.8, W, H) == []


def test_head_in_the_zone_but_feet_outside_is_no_intrusion():
    rules = engine(INTRUSION)
    # Feet just below the zone, the box reaching well into it.
    assert rules.evaluate([track(1, 0.5, 0.65, size=100)], 0.0, W, H) == []


def test_filters_label_score_area_and_state():
    rules = engine({**INTRUSION, "min_score": 0.6, "min_area": 0.001, "max_area": 0.01})
    for t in (
        track(1, 0.5, 0.5, label="car"),
        track(2, 0.5, 0.5, score=0.4),
        track(3, 0.5, 0.5, size=10),  # area 0.0002
        track(4, 0.5, 0.5, size=200),  # area 0.08
        track(5, 0.5, 0.5, state=TrackState.TENTATIVE),
    ):
        assert rules.evaluate([t], 0.0, W, H) == [], t.id
    assert kinds(rules.evaluate([track(6, 0.5, 0.5)], 0.0, W, H)) == [("start", "in", 6)]


def test_cooldown_is_per_camera_and_rule():
    rules = engine({**INTRUSION, "cooldown": 10})
    assert len(rules.evaluate([track(1, 0.5, 0.5)], 0.0, W, H)) == 1
    assert [e.kind for e in rules.evaluate([track(1, 0.5, 0.5), track(2, 0.5, 0.5)], 5.0, W, H)] == []
    assert kinds(rules.evaluate([track(1, 0.5, 0.5), track(2, 0.5, 0.5)], 10.5, W, H)) == [("start", "in", 2)]


def test_loitering_after_seconds_in_the_zone():
    rules = engine({"name": "loiter", "type": "loitering", "zone": "z", "seconds": 3, "cooldown": 0})
    events = []
    for step in range(20):
        events += rules.evaluate([track(1, 0.5, 0.5)], step * 0.2, W, H)
    assert kinds(events) == [("start", "loiter", 1)]
    assert events[0].at == 3.0


def test_line_crossing_each_direction():
    line = [[0.5, 0.0], [0.5, 1.0]]  # top to bottom: side a is the right of the picture
    rules = engine(
        {"name": "ab", "type": "line_crossing", "line": line, "direction": "a_to_b", "cooldown": 0},
        {"name": "ba", "type": "line_crossing", "line": line, "direction": "b_to_a", "cooldown": 0},
        {"name": "any", "type": "line_crossing", "line": line, "cooldown": 0},
    )
    events = []
    for step, x in enumerate([0.8, 0.6, 0.52, 0.505, 0.45, 0.3]):  # right to left, pausing on the line
        events += rules.evaluate([track(1, x, 0.5), track(2, 1.0 - x, 0.5)], step * 0.2, W, H)
    assert sorted(kinds(events)) == [("instant", "ab", 1), ("instant", "any", 1), ("instant", "any", 2),
                                     ("instant", "ba", 2)]
    assert {e.detail["direction"] for e in events if e.key[1] == 1} == {"a_to_b"}


def test_line_crossing_beside_the_segment_does_not_count():
    rules = engine({"name": "any", "type": "line_crossing", "line": [[0.5, 0.0], [0.5, 0.4]], "cooldown": 0})
    events = rules.evaluate([track(1, 0.3, 0.8)], 0.0, W, H) + rules.evaluate([track(1, 0.7, 0.8)], 0.2, W, H)
    assert events == []


def test_crowd_needs_count_for_seconds():
    rules = engine({"name": "crowd", "type": "crowd", "zone": "z", "count": 3, "seconds": 1, "cooldown": 0})
    two = [track(1, 0.45, 0.5), track(2, 0.5, 0.5)]
    three = [*two, track(3, 0.55, 0.5)]
    assert rules.evaluate(two, 0.0, W, H) == []
    assert rules.evaluate(three, 0.2, W, H) == []
    events = rules.evaluate(three, 1.2, W, H)
    assert kinds(events) == [("start", "crowd", None)] and events[0].detail["count"] == 3
    assert kinds(rules.evaluate(two, 1.4, W, H)) == []  # a blink is forgiven
    assert kinds(rules.evaluate(two, 4.0, W, H)) == [("end", "crowd", None)]


def test_camera_offline_after_seconds_and_back():
    rules = engine({"name": "down", "type": "camera_offline", "seconds": 5, "severity": "high"})
    assert rules.camera_state(True, 100.0) == []
    assert rules.camera_state(True, 104.0) == []
    assert kinds(rules.camera_state(True, 105.5)) == [("start", "down", None)]
    assert rules.camera_state(True, 110.0) == []
    assert kinds(rules.camera_state(False, 111.0)) == [("end", "down", None)]


def _epoch(hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, 29, hour, minute, tzinfo=JAKARTA).timestamp()


def test_schedule_in_site_local_time_wrapping_midnight():
    assert in_schedule("22:00-05:00", _epoch(23), JAKARTA)
    assert in_schedule("22:00-05:00", _epoch(4, 59), JAKARTA)
    assert not in_schedule("22:00-05:00", _epoch(5), JAKARTA)
    assert not in_schedule("22:00-05:00", _epoch(12), JAKARTA)
    assert in_schedule("08:00-17:00", _epoch(12), JAKARTA)
    # 23:00 in Jakarta is 16:00 UTC: the site's zone decides, not the machine's.
    assert not in_schedule("22:00-05:00", _epoch(23), ZoneInfo("UTC"))


def test_rule_schedule_uses_the_injected_clock():
    now = {"t": _epoch(12)}
    rules = engine({**INTRUSION, "schedule": "22:00-05:00"}, clock=lambda: now["t"])
    assert rules.evaluate([track(1, 0.5, 0.5)], 0.0, W, H) == []  # noon: outside the schedule
    now["t"] = _epoch(23, 30)
    assert kinds(rules.evaluate([track(1, 0.5, 0.5)], 0.2, W, H)) == [("start", "in", 1)]


def test_crowd_coming_back_within_the_grace_is_the_same_crowd():
    rules = engine({"name": "crowd", "type": "crowd", "zone": "z", "count": 2, "seconds": 1, "cooldown": 0})
    two = [track(1, 0.45, 0.5), track(2, 0.5, 0.5)]
    events = []
    for step in range(30):  # 6 s: two people, one hidden from 2.0 s to 3.4 s
        t = step * 0.2
        events += rules.evaluate(two[:1] if 2.0 <= t < 3.4 else two, t, W, H)
    assert kinds(events) == [("start", "crowd", None)]
