"""Shared helpers for analytics tests: frames straight from the shared clips, a camera config builder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from wawai.assets import find_asset
from wawai.config.schema import CameraConfig
from wawai.media import VideoFrame

VTEST30 = "video/vtest_640x480_30s_h264.mp4"

# Zones on vtest (640x480, fractions of the picture), chosen by looking at the footage:
# WALK: a band across the walkway right of the lamp post, where people cross left <-> right.
# LAWN: the lawn at the bottom left, where nobody walks in the whole clip.
# POST: the area around the lamp post and its sign, where people stand and talk for 10 s or more.
WALK = [(0.70, 0.40), (0.80, 0.40), (0.80, 0.85), (0.70, 0.85)]
LAWN = [(0.05, 0.72), (0.45, 0.72), (0.45, 0.98), (0.05, 0.98)]
POST = [(0.44, 0.30), (0.62, 0.30), (0.62, 0.48), (0.44, 0.48)]
# The line through the middle of WALK, drawn top to bottom: side "a" is the picture's right side,
# so a person walking right-to-left crosses a_to_b.
LINE = [(0.75, 0.40), (0.75, 0.85)]


def asset(relative: str) -> Path:
    path = find_asset(relative)
    if path is None:
        pytest.skip(f"shared asset {relative} not found")
    return path


def clip_frames(relative: str = VTEST30, fps: float = 5.0, camera_id: str = "vt") -> Iterator[VideoFrame]:
    """Frames of a shared clip at ``fps``, their capture time = the clip time (so rules see real pacing)."""
    with av.open(str(asset(relative))) as container:
        next_due = 0.0
        for seq, frame in enumerate(container.decode(video=0)):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_due:
                continue
            next_due += 1.0 / fps
            image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
            yield VideoFrame(camera_id, "main", image, t, 1_800_000_000.0 + t, seq)


def vtest_camera(camera_id: str = "vt", main: str = "vtest.mp4", **extra: Any) -> CameraConfig:
    rule = {"objects": ["person"], "cooldown": 0}
    data: dict[str, Any] = {
        "id": camera_id,
        "streams": {"main": main},
        "zones": [
            {"name": "walkway", "polygon": WALK},
            {"name": "lawn", "polygon": LAWN},
            {"name": "post", "polygon": POST},
        ],
        "rules": [
            {"name": "walkway-entry", "type": "intrusion", "zone": "walkway", **rule},
            {"name": "lawn-entry", "type": "intrusion", "zone": "lawn", **rule},
            {"name": "westbound", "type": "line_crossing", "line": LINE, "direction": "a_to_b", **rule},
            {"name": "eastbound", "type": "line_crossing", "line": LINE, "direction": "b_to_a", **rule},
            {"name": "post-loiter", "type": "loitering", "zone": "post", "seconds": 6, **rule},
            {"name": "post-crowd", "type": "crowd", "zone": "post", "count": 2, "seconds": 1, **rule},
        ],
    }
    data.update(extra)
    return CameraConfig.model_validate(data)
