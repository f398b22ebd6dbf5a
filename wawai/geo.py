"""Distances and directions on the earth, and which cameras can see a place.

Haversine on a sphere of the earth's mean radius: within a city the error is far below a camera's
placement error, and nothing here needs a projection library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wawai.config.schema import CameraConfig

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial direction from point 1 to point 2, degrees clockwise from north (0..360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360


def angle_between(a: float, b: float) -> float:
    """The smaller angle between two directions, 0..180."""
    difference = abs(a - b) % 360
    return min(difference, 360 - difference)


@dataclass(frozen=True)
class NearbyCamera:
    camera_id: str
    name: str
    distance_m: float
    # True: the place is inside the camera's field of view; False: it looks elsewhere;
    # None: the camera's heading or field of view is not configured.
    covers: bool | None

    @property
    def rank(self) -> tuple[int, float]:
        """Cameras that see the place first, then those of unknown direction, then the rest; nearest first."""
        tier = {True: 0, None: 1, False: 2}[self.covers]
        return tier, self.distance_m


def covers(camera: CameraConfig, lat: float, lon: float) -> bool | None:
    where = camera.location
    if where is None or where.heading is None or where.fov is None:
        return None
    if where.fov >= 360 or distance_m(where.lat, where.lon, lat, lon) < 1:
        return True  # a 360° camera, or the place is the camera's own
    return angle_between(bearing_deg(where.lat, where.lon, lat, lon), where.heading) <= where.fov / 2


def nearest_cameras(
    cameras: list[CameraConfig], lat: float, lon: float, radius_m: float
) -> list[NearbyCamera]:
    """Cameras within ``radius_m`` of the place, best first (see ``NearbyCamera.rank``)."""
    found = []
    for camera in cameras:
        if camera.location is None:
            continue
        meters = distance_m(camera.location.lat, camera.location.lon, lat, lon)
        if meters <= radius_m:
            sees = covers(camera, lat, lon)
            found.append(NearbyCamera(camera.id, camera.display_name, round(meters, 1), sees))
    return sorted(found, key=lambda nearby: nearby.rank)
