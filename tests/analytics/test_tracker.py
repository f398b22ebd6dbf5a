"""Tracker: stable ids under motion, the low-score second stage, and the lifecycle."""

from __future__ import annotations

from analytics.detection import Detection
from analytics.tracker import Tracker, TrackState


def person(x: float, y: float = 100, score: float = 0.9, w: float = 30, h: float = 80) -> Detection:
    return Detection(x, y, x + w, y + h, score, "person")


def test_ids_stay_stable_for_two_people_walking_past_each_other():
    tracker = Tracker()
    for step in range(20):
        # 20 px per frame at 5 fps: 30 px boxes overlap little frame to frame, the velocity must help.
        a, b = person(50 + 20 * step, 100), person(600 - 20 * step, 105)
        tracker.update([a, b], step * 0.2)
    by_id = {t.id: t for t in tracker.tracks}
    assert sorted(by_id) == [1, 2]
    assert all(t.state == TrackState.CONFIRMED for t in tracker.tracks)
    assert by_id[1].box[0] == 50 + 20 * 19 and by_id[1].velocity[0] > 0  # still the one walking right
    assert by_id[2].box[0] == 600 - 20 * 19 and by_id[2].velocity[0] < 0


def test_tentative_until_confirmed_and_noise_is_dropped():
    tracker = Tracker(confirm_hits=3)
    tracker.update([person(100)], 0.0)
    assert tracker.tracks[0].state == TrackState.TENTATIVE
    tracker.update([person(102)], 0.2)
    assert tracker.tracks[0].state == TrackState.TENTATIVE
    tracker.update([person(104)], 0.4)
    assert tracker.tracks[0].state == TrackState.CONFIRMED
    tracker.update([person(106), person(400)], 0.6)  # a one-frame blip elsewhere
    tracker.update([person(108)], 0.8)
    assert [t.id for t in tracker.tracks] == [1]


def test_low_score_detection_keeps_a_confirmed_track():
    tracker = Tracker(high_score=0.5, low_score=0.1)
    for step in range(4):
        tracker.update([person(100 + 5 * step)], step * 0.2)
    tracker.update([person(121, score=0.2)], 0.8)  # half hidden behind the lamp post
    assert tracker.tracks[0].state == TrackState.CONFIRMED and tracker.tracks[0].last_seen == 0.8
    assert len(tracker.tracks) == 1


def test_lost_then_found_again_keeps_its_id_and_is_forgotten_after_the_timeout():
    tracker = Tracker(max_lost_seconds=1.0)
    for step in range(4):
        tracker.update([person(100)], step * 0.2)
    tracker.update([], 0.8)
    assert tracker.tracks[0].state == TrackState.LOST
    tracker.update([person(101)], 1.2)
    assert tracker.tracks[0].state == TrackState.CONFIRMED and tracker.tracks[0].id == 1
    tracker.update([], 1.4)
    ended = tracker.update([], 2.6)
    assert [t.id for t in ended] == [1] and tracker.tracks == []


def test_labels_never_mix():
    tracker = Tracker()
    tracker.update([person(100)], 0.0)
    tracker.update([Detection(100, 100, 130, 180, 0.9, "car")], 0.2)
    assert sorted(t.label for t in tracker.tracks) == ["car"]  # the tentative person died, a car began
