"""The CPU figure a node writes with each lease renewal: percent of one core its process used since the
previous renewal (every thread: ingest, recording, analytics, web). 100 = one core busy."""

from __future__ import annotations

import time
from collections.abc import Callable


class CpuMeter:
    def __init__(self, cpu_clock: Callable[[], float] = time.process_time,
                 wall_clock: Callable[[], float] = time.monotonic) -> None:
        self.cpu_clock = cpu_clock
        self.wall_clock = wall_clock
        self._cpu = cpu_clock()
        self._wall = wall_clock()

    def sample(self) -> float | None:
        """Percent since the previous sample (or since start); None when no time has passed."""
        cpu, wall = self.cpu_clock(), self.wall_clock()
        spent, elapsed = cpu - self._cpu, wall - self._wall
        self._cpu, self._wall = cpu, wall
        if elapsed <= 0:
            return None
        return round(100.0 * max(spent, 0.0) / elapsed, 1)
