"""What the web app and the CLI need from the recorder, without importing it.

The recorder registers an object following ``ClipExporter`` in ``ctx.services["recordings"]``. The types
here are plain data: times are epoch seconds (UTC), paths are relative to the storage folder.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

SERVICE_NAME = "recordings"


@dataclass(frozen=True, slots=True)
class SegmentView:
    camera_id: str
    start: float
    end: float
    bytes: int
    path: str  # relative to the storage folder
    codec: str
    live: bool = False  # still being written: ``end`` is the last frame so far, ``bytes`` so far
    id: int | None = None  # the index row (None while live): playback URLs name it
    width: int | None = None
    height: int | None = None
    frames: int | None = None  # video frames in the file (None: not known for old rows)
    init_bytes: int | None = None  # size of the init part (ftyp + moov) the HLS playlist maps

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Gap:
    start: float
    end: float
    reason: str  # "offline", "stall", "disk_error", "stream_error", "stopped"; "not_recorded" if unknown


@dataclass(frozen=True, slots=True)
class RecordingsOverview:
    camera_id: str
    start: float
    end: float
    ranges: list[TimeRange] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    segments: list[SegmentView] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for segment, view in zip(data["segments"], self.segments, strict=True):
            segment["duration"] = view.duration
        return data


@dataclass(frozen=True, slots=True)
class ClipResult:
    path: Path
    sha256: str
    start: float  # the keyframe the clip starts on (at or before the requested start)
    end: float
    duration: float
    bytes: int


class NothingRecorded(LookupError):
    """No segment of the camera overlaps the requested range."""


class ClipExporter(Protocol):
    def overview(self, camera_id: str, start: float, end: float) -> RecordingsOverview:
        """Recorded ranges, gaps and segments of one camera between ``start`` and ``end``."""
        ...

    def export_clip(self, camera_id: str, start: float, end: float, output: Path) -> ClipResult:
        """Join the segments covering the range by stream copy into a faststart MP4 at ``output``.

        Starts at the keyframe at or before ``start``. Raises NothingRecorded when no segment overlaps.
        The caller audits the export (it knows who asked).
        """
        ...


MAX_EPOCH_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z


def parse_time(value: str) -> float:
    """Epoch seconds from ISO-8601 ("2026-11-29T22:10:00Z", no zone means UTC) or epoch seconds."""
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is None:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(
                f"{value[:40]!r} is neither ISO-8601 (2026-11-29T22:10:00Z) nor epoch seconds"
            ) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp()
    # nan, inf and times past year 9999 would reach the index queries and the clip writer.
    if not (math.isfinite(seconds) and 0 <= seconds <= MAX_EPOCH_SECONDS):
        raise ValueError(f"{value[:40]!r} is not a time between the years 1970 and 9999")
    return seconds
