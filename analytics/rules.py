"""Zones and rules of one camera: turns tracks (and the camera's online state) into incident events.

The engine knows nothing of the database: it says when an incident starts, ends, or happens at an
instant (a line crossing), keyed by (rule, track). Every time is the frame's capture time, so results
do not depend on how fast the machine is; the schedule may use an injected clock.

- intrusion: a matching object's bottom-centre (its feet) is inside the zone.
- loitering: ... continuously inside the zone for ``seconds`` (brief exits under ``grace`` forgiven).
- line_crossing: the feet cross the line segment, in ``direction`` (side "a" is left of a->b on screen).
- crowd: at least ``count`` matching objects inside the zone for ``seconds``.
- camera_offline: ingest reports the camera offline for ``seconds``.

One incident per (track, rule): a track never fires the same rule twice. ``cooldown`` (seconds) is per
(camera, rule): after an incident starts, the rule does not start another on this camera for that long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from analytics.geometry import Point, point_in_polygon, segments_cross, signed_distance
from analytics.schedule import in_schedule
from analytics.tracker import Track, TrackState
from wawai.config.schema import CameraConfig, DetectSettings, Rule

EventKind = Literal["start", "end", "instant"]
Key = tuple[str, int | None]  # (rule name, track id; None for camera-wide rules)

GRACE_SECONDS = 2.0  # how long a condition may blink off without ending an incident
LINE_DEADBAND = 0.01  # feet closer to the line than this (picture fraction) keep their last side


@dataclass(frozen=True)
class RuleEvent:
    kind: EventKind
    rule: Rule
    key: Key
    at: float
    zone: str | None = None
    objects: tuple[str, ...] = ()
    track_ids: tuple[int, ...] = ()
    detail: dict[str, object] = field(default_factory=dict)


@dataclass
class _Open:
    event: RuleEvent
    last_true: float


class RuleEngine:
    def __init__(
        self,
        camera: CameraConfig,
        detect: DetectSettings,
        tz: ZoneInfo,
        *,
        schedule_clock: Callable[[], float] | None = None,
    ) -> None:
        self.camera = camera
        self.detect = detect
        self.tz = tz
        self.schedule_clock = schedule_clock
        self.zones: dict[str, list[Point]] = {zone.name: list(zone.polygon) for zone in camera.zones}
        self.rules = list(camera.rules)
        unknown = [r.zone for r in self.rules if r.zone is not None and r.zone not in self.zones]
        if unknown:
            raise ValueError(f"camera {camera.id}: rules name unknown zones {sorted(set(unknown))}")
        self._open: dict[Key, _Open] = {}
        self._fired: set[Key] = set()  # (rule, track) pairs that already made their one incident
        self._last_start: dict[str, float] = {}  # rule name -> start time, for the cooldown
        self._entered: dict[Key, tuple[float, float]] = {}  # loitering: (entered at, last seen inside)
        self._side: dict[Key, tuple[int, Point]] = {}  # line crossing: last sure side and feet there
        self._crowd_since: dict[str, float] = {}
        self._offline_since: float | None = None

    # --- what a rule accepts ------------------------------------------------------------------

    @property
    def object_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.type != "camera_offline"]

    @property
    def offline_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.type == "camera_offline"]

    def _accepts(self, rule: Rule, track: Track, width: int, height: int) -> bool:
        if track.state != TrackState.CONFIRMED:
            return False
        if track.label not in (rule.objects or self.detect.objects):
            return False
        min_score = rule.min_score if rule.min_score is not None else self.detect.min_score
        if track.best_score < min_score:
            return False
        x1, y1, x2, y2 = (float(v) for v in track.box)
        area = (x2 - x1) * (y2 - y1) / float(width * height)
        return rule.min_area <= area <= rule.max_area

    def _feet(self, track: Track, width: int, height: int) -> Point:
        x, y = track.bottom_centre
        return (x / width, y / height)

    def _may_start(self, rule: Rule, at: float) -> bool:
        last = self._last_start.get(rule.name)
        if last is not None and at - last < rule.cooldown:
            return False
        when = self.schedule_clock() if self.schedule_clock else at
        return in_schedule(rule.schedule, when, self.tz)

    def _start(self, event: RuleEvent) -> RuleEvent:
        self._last_start[event.rule.name] = event.at
        if event.key[1] is not None:
            self._fired.add(event.key)
        if event.kind == "start":
            self._open[event.key] = _Open(event, event.at)
        return event

    # --- evaluation ---------------------------------------------------------------------------

    def evaluate(self, tracks: list[Track], at: float, width: int, height: int) -> list[RuleEvent]:
        """Events caused by the tracks as they stand at ``at`` (one call per processed frame)."""
        events: list[RuleEvent] = []
        still_true: set[Key] = set()
        for rule in self.object_rules:
            accepted = [t for t in tracks if self._accepts(rule, t, width, height)]
            if rule.type == "crowd":
                events += self._crowd(rule, accepted, at, width, height, still_true)
                continue
            for track in accepted:
                key: Key = (rule.name, track.id)
                feet = self._feet(track, width, height)
                if rule.type == "line_crossing":
                    if (event := self._line(rule, track, key, feet, at)) is not None:
                        events.append(event)
                    continue
                inside = point_in_polygon(feet, self.zones[rule.zone or ""])
                if rule.type == "intrusion" and inside:
                    still_true.add(key)
                    if key not in self._fired and self._may_start(rule, at):
                        events.append(self._start(self._event("start", rule, key, at, [track])))
                elif rule.type == "loitering":
                    events += self._loiter(rule, track, key, inside, at, still_true)
        # A lost track may be found again: its open incidents wait until the tracker forgets it.
        held = {t.id for t in tracks if t.state == TrackState.LOST}
        still_true |= {key for key in self._open if key[1] in held}
        events += self._close(still_true, {t.id for t in tracks}, at, camera_wide=False)
        return events

    def _event(self, kind: EventKind, rule: Rule, key: Key, at: float, tracks: list[Track]) -> RuleEvent:
        return RuleEvent(
            kind=kind, rule=rule, key=key, at=at, zone=rule.zone,
            objects=tuple(sorted({t.label for t in tracks})), track_ids=tuple(t.id for t in tracks),
        )

    def _loiter(
        self, rule: Rule, track: Track, key: Key, inside: bool, at: float, still_true: set[Key]
    ) -> list[RuleEvent]:
        entered = self._entered.get(key)
        if inside:
            if entered is None or at - entered[1] > GRACE_SECONDS:
                entered = (at, at)
            self._entered[key] = (entered[0], at)
            if at - entered[0] >= (rule.seconds or 0.0):
                still_true.add(key)
                if key not in self._fired and self._may_start(rule, at):
                    return [self._start(self._event("start", rule, key, at, [track]))]
        elif key in self._open and entered is not None and at - entered[1] <= GRACE_SECONDS:
            still_true.add(key)  # a short step out of the zone does not end the loitering
        return []

    def _line(self, rule: Rule, track: Track, key: Key, feet: Point, at: float) -> RuleEvent | None:
        assert rule.line is not None
        a, b = rule.line
        distance = signed_distance(feet, a, b)
        if abs(distance) < LINE_DEADBAND:
            return None
        side = 1 if distance > 0 else -1  # -1: side a, +1: side b
        previous = self._side.get(key)
        self._side[key] = (side, feet)
        if previous is None or previous[0] == side or not segments_cross(previous[1], feet, a, b):
            return None
        direction = "a_to_b" if side == 1 else "b_to_a"
        if rule.direction not in ("any", direction) or key in self._fired or not self._may_start(rule, at):
            return None
        event = self._event("instant", rule, key, at, [track])
        event.detail["direction"] = direction
        return self._start(event)

    def _crowd(
        self, rule: Rule, accepted: list[Track], at: float, width: int, height: int, still_true: set[Key]
    ) -> list[RuleEvent]:
        polygon = self.zones[rule.zone or ""]
        inside = [t for t in accepted if point_in_polygon(self._feet(t, width, height), polygon)]
        key: Key = (rule.name, None)
        if len(inside) < (rule.count or 1):
            self._crowd_since.pop(rule.name, None)
            return []
        since = self._crowd_since.setdefault(rule.name, at)
        if key in self._open:
            still_true.add(key)  # an open crowd goes on as long as the count holds; seconds is to start
            return []
        if at - since < (rule.seconds or 0.0):
            return []
        still_true.add(key)
        if not self._may_start(rule, at):
            return []
        event = self._event("start", rule, key, at, inside)
        event.detail["count"] = len(inside)
        return [self._start(event)]

    def _close(
        self, still_true: set[Key], live_ids: set[int], at: float, *, camera_wide: bool
    ) -> list[RuleEvent]:
        """End open incidents whose condition is gone (after the grace) or whose track is gone."""
        ended: list[RuleEvent] = []
        for key, state in list(self._open.items()):
            is_offline = state.event.rule.type == "camera_offline"
            if is_offline != camera_wide:
                continue
            if key in still_true:
                state.last_true = at
                continue
            track_gone = key[1] is not None and key[1] not in live_ids
            grace = 0.0 if state.event.rule.type == "intrusion" else GRACE_SECONDS
            if track_gone or at - state.last_true > grace:
                del self._open[key]
                old = state.event
                ended.append(RuleEvent("end", old.rule, key, at, old.zone, old.objects, old.track_ids))
        return ended

    def camera_state(self, offline: bool, at: float) -> list[RuleEvent]:
        """camera_offline rules: call whenever the ingest state is known (e.g. every second)."""
        if not self.offline_rules:
            return []
        if not offline:
            self._offline_since = None
        elif self._offline_since is None:
            self._offline_since = at
        events: list[RuleEvent] = []
        still_true: set[Key] = set()
        for rule in self.offline_rules:
            key: Key = (rule.name, None)
            if self._offline_since is None or at - self._offline_since < (rule.seconds or 0.0):
                continue
            still_true.add(key)
            if key not in self._open and self._may_start(rule, at):
                event = RuleEvent("start", rule, key, at)
                event.detail["offline_since"] = self._offline_since
                events.append(self._start(event))
        # Offline incidents end as soon as the camera is back: no grace.
        for key, state in list(self._open.items()):
            if state.event.rule.type == "camera_offline" and key not in still_true:
                del self._open[key]
                events.append(RuleEvent("end", state.event.rule, key, at))
        return events

    def open_keys(self) -> list[Key]:
        return list(self._open)

    def forget_tracks(self, track_ids: set[int]) -> None:
        """Drop per-track memory of tracks the tracker has forgotten (keeps the maps small)."""
        for store in (self._entered, self._side):
            for key in [k for k in store if k[1] in track_ids]:
                del store[key]
        self._fired = {key for key in self._fired if key[1] not in track_ids}
