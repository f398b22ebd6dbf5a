"""What bench/capacity.py sees of a quiet camera: every frame its pipeline analysed, where in the footage's
cycle that frame was (the code in its corner), and whether the camera was quiet before it; from those,
the wake-up time of each walk (the walker's first moving frame -> the first person tracked)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from capacity_media import FPS, WALK_SECONDS, QuietFootage, read_code

from analytics.camera import CameraPipeline


@dataclass(frozen=True, slots=True)
class Seen:
    frame: int  # frame number since the camera's first analysed frame's cycle began (unwrapped)
    arrived: float  # wall clock the picture reached the node (ingest's stamp)
    done: float  # wall clock its analysis finished
    was_quiet: bool  # the camera was in keyframe mode when the picture came
    people: int  # people tracked after it


@dataclass
class QuietWatch:
    """Wraps one quiet camera's ``process`` (called on the camera's analytics thread)."""

    pipeline: CameraPipeline
    footage: QuietFootage
    seen: list[Seen] = field(default_factory=list)
    _cycles: int = 0
    _last_code: int | None = None

    def __post_init__(self) -> None:
        process = self.pipeline.process

        def watched(frame: Any) -> Any:
            was_quiet = self.pipeline.quiet
            events = process(frame)
            done = time.time()
            code = read_code(frame.image)
            if self._last_code is not None and code < self._last_code:
                # The cycle wrapped (the footage only moves forward: one RTSP session, a paced stream).
                self._cycles += 1
            self._last_code = code
            people = sum(1 for t in self.pipeline.tracker.tracks if t.label == "person")
            self.seen.append(Seen(self._cycles * self.footage.frames + code, frame.wallclock, done,
                                  was_quiet, people))
            return events

        self.pipeline.process = watched  # type: ignore[method-assign]

    def quiet_checks(self, since: float, until: float) -> int:
        """Frames analysed in keyframe mode between two wall-clock times: the motion checks."""
        return sum(1 for s in self.seen if s.was_quiet and since <= s.arrived < until)

    def walks(self, since: float, until: float) -> list[dict[str, Any]]:
        """Each walk whose walker arrived in [since, until): when, whether the camera was quiet before
        it, and the wake-up time (None: no person found during the walk)."""
        seen = self.seen
        if not seen:
            return []
        frames = self.footage.frames
        found: list[dict[str, Any]] = []
        cycle = seen[0].frame // frames
        while True:
            walker = cycle * frames + self.footage.walker_frame
            before = [s for s in seen if s.frame <= walker]
            cycle += 1
            if not before:
                continue
            base = before[-1]
            walker_at = base.arrived + (walker - base.frame) / FPS  # the stream is paced at real time
            if walker_at >= until or base is seen[-1]:
                return found
            if walker_at < since:
                continue
            end = walker + round(WALK_SECONDS * FPS)
            hit = next((s for s in seen if walker <= s.frame <= end and s.people > 0), None)
            found.append({"at": walker_at, "quiet_before": base.was_quiet,
                          "wake_s": None if hit is None else hit.done - walker_at})
