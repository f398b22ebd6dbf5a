"""Plane geometry on normalised picture coordinates (x, y in 0..1, y down)."""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def point_in_polygon(point: Point, polygon: Sequence[Point]) -> bool:
    """Even-odd ray casting; points exactly on an edge may fall either way."""
    x, y = point
    inside = False
    count = len(polygon)
    for i in range(count):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % count]
        if (y1 > y) != (y2 > y):
            cross_x = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < cross_x:
                inside = not inside
    return inside


def signed_distance(point: Point, a: Point, b: Point) -> float:
    """Distance from the line a-b, negative on side "a", positive on side "b".

    Side "a" is on the left when walking from a to b as seen on the screen: for a line drawn left to
    right, "a" is above it and "b" below.
    """
    (x1, y1), (x2, y2), (px, py) = a, b, point
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 or 1e-9
    return ((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)) / length


def segments_cross(p1: Point, p2: Point, a: Point, b: Point) -> bool:
    """Whether segment p1-p2 crosses segment a-b (touching counts)."""

    def orient(o: Point, s: Point, t: Point) -> float:
        return (s[0] - o[0]) * (t[1] - o[1]) - (s[1] - o[1]) * (t[0] - o[0])

    d1, d2 = orient(a, b, p1), orient(a, b, p2)
    d3, d4 = orient(p1, p2, a), orient(p1, p2, b)
    return d1 * d2 <= 0 and d3 * d4 <= 0
