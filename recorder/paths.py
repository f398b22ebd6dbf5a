"""Where segments live: ``<storage>/recordings/<camera>/<YYYY-MM-DD>/<HH>/<MM.SS>.mp4`` (UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

RECORDINGS = "recordings"
_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{2})/(\d{2})\.(\d{2})(?:-(\d+))?\.mp4$")


def recordings_root(storage: Path) -> Path:
    return storage / RECORDINGS


def segment_path(storage: Path, camera_id: str, start: float) -> Path:
    """A new file name for a segment starting at ``start``; ``-1``, ``-2``... when that second is taken
    (a reconnect can start two segments in the same second)."""
    moment = datetime.fromtimestamp(start, UTC)
    folder = recordings_root(storage) / camera_id / moment.strftime("%Y-%m-%d") / moment.strftime("%H")
    path = folder / moment.strftime("%M.%S.mp4")
    suffix = 1
    while path.exists():
        path = folder / moment.strftime(f"%M.%S-{suffix}.mp4")
        suffix += 1
    return path


def start_from_path(storage: Path, path: Path) -> tuple[str, float] | None:
    """(camera, start to the second) from a segment path, or None if it is not one of ours."""
    try:
        relative = path.relative_to(recordings_root(storage))
    except ValueError:
        return None
    camera, _, rest = relative.as_posix().partition("/")
    match = _NAME.match(rest)
    if not camera or not match:
        return None
    day, hour, minute, second, _ = match.groups()
    moment = datetime.strptime(f"{day} {hour}:{minute}:{second}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return camera, moment.timestamp()


def relative_to_storage(storage: Path, path: Path) -> str:
    return path.relative_to(storage).as_posix()
