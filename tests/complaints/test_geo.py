"""Distances, directions and which cameras see a place (the ranking the incident's camera list uses)."""

from __future__ import annotations

import pytest

from tests.complaints.system import BEST_FIRST, PLACE, metro_cameras
from tests.support.app_fixtures import write_config
from wawai.config.loader import load_config
from wawai.geo import angle_between, bearing_deg, distance_m, nearest_cameras


def test_distance_and_bearing_match_known_values():
    assert distance_m(0, 0, 0, 1) == pytest.approx(111_195, rel=0.001)  # one degree on the equator
    assert distance_m(60, 0, 60, 1) == pytest.approx(111_195 / 2, rel=0.001)  # half as far at 60 degrees
    assert bearing_deg(0, 0, 1, 0) == pytest.approx(0)
    assert bearing_deg(0, 0, 0, 1) == pytest.approx(90)
    assert bearing_deg(0, 0, -1, 0) == pytest.approx(180)
    assert bearing_deg(0, 0, 0, -1) == pytest.approx(270)
    assert angle_between(350, 10) == pytest.approx(20)
    assert angle_between(90, 270) == pytest.approx(180)


def test_cameras_that_cover_the_place_come_first_then_unknown_then_away(tmp_path):
    config = load_config(write_config(tmp_path, metro_cameras("/videos/a.mp4")))
    nearby = nearest_cameras(list(config.cameras.values()), *PLACE, radius_m=300)
    assert [n.camera_id for n in nearby] == BEST_FIRST  # terminal is 1.2 km away: left out
    assert [n.covers for n in nearby] == [True, True, None, False]
    # East-west offsets shrink by cos(latitude): 0.4 % at Metro.
    assert [n.distance_m for n in nearby] == pytest.approx([50, 250, 150, 100], rel=0.005)
    assert [n.camera_id for n in nearest_cameras(list(config.cameras.values()), *PLACE, radius_m=120)] == [
        "taman", "pasar"]
