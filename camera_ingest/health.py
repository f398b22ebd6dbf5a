"""Measured stream health (fps, bitrate, keyframe interval) and the reconnect backoff schedule."""

from __future__ import annotations

import threading
from collections import deque

BACKOFF_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
STABLE_SECONDS = 60.0  # streaming this long resets the backoff to its first step
WINDOW_SECONDS = 5.0


class Backoff:
    def __init__(
        self, steps: tuple[float, ...] = BACKOFF_SECONDS, stable_seconds: float = STABLE_SECONDS
    ) -> None:
        self._steps = steps
        self._stable_seconds = stable_seconds
        self._attempt = 0

    def connection_ended(self, streamed_seconds: float | None) -> None:
        """A connection that streamed for ``stable_seconds`` starts the schedule again at its first step."""
        if streamed_seconds is not None and streamed_seconds >= self._stable_seconds:
            self.reset()

    def next_delay(self) -> float:
        delay = self._steps[min(self._attempt, len(self._steps) - 1)]
        self._attempt += 1
        return delay

    def reset(self) -> None:
        self._attempt = 0


class StreamMeter:
    """Sliding-window figures over the last few seconds of video pictures."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._pictures: deque[tuple[float, int]] = deque()  # (wallclock, bytes)
        self._last_keyframe_pts: float | None = None
        self.keyframe_interval: float | None = None

    def add_picture(self, wallclock: float, size: int, keyframe: bool, pts_seconds: float) -> None:
        with self._lock:
            self._pictures.append((wallclock, size))
            while self._pictures and self._pictures[0][0] < wallclock - self._window:
                self._pictures.popleft()
            if keyframe:
                if self._last_keyframe_pts is not None and pts_seconds > self._last_keyframe_pts:
                    self.keyframe_interval = round(pts_seconds - self._last_keyframe_pts, 3)
                self._last_keyframe_pts = pts_seconds

    def reset(self) -> None:
        with self._lock:
            self._pictures.clear()
            self._last_keyframe_pts = None

    def figures(self) -> tuple[float | None, float | None]:
        """(fps, bitrate in kbit/s) over the window, or None while too little is known."""
        with self._lock:
            if len(self._pictures) < 2:
                return None, None
            span = self._pictures[-1][0] - self._pictures[0][0]
            if span <= 0:
                return None, None
            fps = (len(self._pictures) - 1) / span
            bits = sum(size for _, size in list(self._pictures)[1:]) * 8
            return round(fps, 2), round(bits / span / 1000, 1)
