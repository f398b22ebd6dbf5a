"""Stable track ids across frames, in the spirit of ByteTrack.

Each track predicts its box with a constant-velocity model (the velocity smoothed over matches, in
pixels per second so irregular frame gaps are fine). Matching has two stages: confident detections
against every live track first, then the leftover confirmed tracks against the low-score detections
(a person half hidden behind a post scores low but is still the same person). Lifecycle: a new track is
tentative until it has been matched ``confirm_hits`` times; a confirmed track that goes unmatched is
lost, and forgotten after ``max_lost_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from analytics.detection import Detection
from analytics.nms import iou_matrix

BoxArray = npt.NDArray[np.float64]


class TrackState(StrEnum):
    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    LOST = "lost"


@dataclass(eq=False)
class Track:
    id: int
    label: str
    box: BoxArray  # x1, y1, x2, y2 in frame pixels, at last_seen
    score: float
    first_seen: float
    last_seen: float
    state: TrackState = TrackState.TENTATIVE
    hits: int = 1
    best_score: float = 0.0
    velocity: BoxArray = field(default_factory=lambda: np.zeros(4))  # pixels per second per coordinate

    def predict(self, at: float) -> BoxArray:
        # Extrapolate at most one second: beyond that a guess is worse than standing still.
        dt = min(max(0.0, at - self.last_seen), 1.0)
        return self.box + self.velocity * dt

    @property
    def bottom_centre(self) -> tuple[float, float]:
        return (float(self.box[0] + self.box[2]) / 2, float(self.box[3]))

    @property
    def moving(self) -> bool:
        """Whether it moves more than a tenth of its height per second."""
        height = max(1.0, float(self.box[3] - self.box[1]))
        vx = (self.velocity[0] + self.velocity[2]) / 2
        vy = (self.velocity[1] + self.velocity[3]) / 2
        speed = float(np.hypot(vx, vy))
        return speed > 0.1 * height


class Tracker:
    def __init__(
        self,
        *,
        high_score: float = 0.5,
        low_score: float = 0.1,
        match_iou: float = 0.2,
        low_match_iou: float = 0.4,
        confirm_hits: int = 3,
        max_lost_seconds: float = 1.5,
        smoothing: float = 0.5,
    ) -> None:
        self.high_score = high_score
        self.low_score = low_score
        self.match_iou = match_iou
        self.low_match_iou = low_match_iou
        self.confirm_hits = confirm_hits
        self.max_lost_seconds = max_lost_seconds
        self.smoothing = smoothing
        self.tracks: list[Track] = []
        self._next_id = 1

    @property
    def active(self) -> list[Track]:
        """Tracks seen on the last detection run (tentative and confirmed)."""
        return [t for t in self.tracks if t.state != TrackState.LOST]

    @property
    def confirmed(self) -> list[Track]:
        return [t for t in self.tracks if t.state == TrackState.CONFIRMED]

    def update(self, detections: list[Detection], at: float) -> list[Track]:
        """Match one detection run taken at time ``at`` (seconds); returns the tracks that ended."""
        high = [d for d in detections if d.score >= self.high_score]
        low = [d for d in detections if self.low_score <= d.score < self.high_score]
        live = [t for t in self.tracks]
        pairs, unmatched_tracks, unmatched_high = self._match(live, high, at, self.match_iou)
        for track, det in pairs:
            self._apply(track, det, at)
        # Second stage: only confirmed (or lost) tracks may take a low-score detection.
        second = [t for t in unmatched_tracks if t.state != TrackState.TENTATIVE]
        pairs_low, _, _ = self._match(second, low, at, self.low_match_iou)
        matched_low = set()
        for track, det in pairs_low:
            self._apply(track, det, at)
            matched_low.add(id(track))
        ended: list[Track] = []
        for track in unmatched_tracks:
            if id(track) in matched_low:
                continue
            if track.state == TrackState.TENTATIVE:
                self.tracks.remove(track)  # never confirmed: noise, not an object that ended
            else:
                track.state = TrackState.LOST
                if at - track.last_seen > self.max_lost_seconds:
                    self.tracks.remove(track)
                    ended.append(track)
        for det in unmatched_high:
            self.tracks.append(
                Track(
                    id=self._next_id,
                    label=det.label,
                    box=np.array(det.box, dtype=np.float64),
                    score=det.score,
                    first_seen=at,
                    last_seen=at,
                    best_score=det.score,
                )
            )
            self._next_id += 1
        return ended

    def expire(self, at: float) -> list[Track]:
        """Forget lost tracks past their time when no detection ran (motion gate closed)."""
        ended = [
            t for t in self.tracks if t.state == TrackState.LOST and at - t.last_seen > self.max_lost_seconds
        ]
        for track in ended:
            self.tracks.remove(track)
        return ended

    def _apply(self, track: Track, det: Detection, at: float) -> None:
        box = np.array(det.box, dtype=np.float64)
        dt = at - track.last_seen
        if dt > 0:
            measured = (box - track.box) / dt
            weight = 1.0 if track.hits == 1 else self.smoothing
            track.velocity = track.velocity + weight * (measured - track.velocity)
        track.box = box
        track.score = det.score
        track.best_score = max(track.best_score, det.score)
        track.last_seen = at
        track.hits += 1
        if track.state == TrackState.LOST or track.hits >= self.confirm_hits:
            track.state = TrackState.CONFIRMED

    def _match(
        self, tracks: list[Track], detections: list[Detection], at: float, min_iou: float
    ) -> tuple[list[tuple[Track, Detection]], list[Track], list[Detection]]:
        """Greedy highest-IoU assignment between predicted track boxes and same-label detections."""
        if not tracks or not detections:
            return [], list(tracks), list(detections)
        predicted = np.array([t.predict(at) for t in tracks])
        boxes = np.array([d.box for d in detections], dtype=np.float64)
        iou = iou_matrix(predicted, boxes)
        same_label = np.array([[t.label == d.label for d in detections] for t in tracks])
        iou = np.where(same_label, iou, 0.0)
        pairs: list[tuple[Track, Detection]] = []
        used_t: set[int] = set()
        used_d: set[int] = set()
        for flat in np.argsort(-iou, axis=None):
            ti, di = divmod(int(flat), len(detections))
            if iou[ti, di] < min_iou:
                break
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            pairs.append((tracks[ti], detections[di]))
        return (
            pairs,
            [t for i, t in enumerate(tracks) if i not in used_t],
            [d for i, d in enumerate(detections) if i not in used_d],
        )
