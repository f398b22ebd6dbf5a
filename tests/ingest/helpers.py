"""Small helpers for ingest tests: a config with given cameras, waiting on a condition, reading queues."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any, TypeVar

from wawai.config.model import WawaiConfig
from wawai.config.schema import CameraConfig, SiteConfig, StreamsSection
from wawai.media import MediaPacket
from wawai.queues import Closed, DropQueue

T = TypeVar("T")


def make_config(tmp: Path, **streams: dict[str, Any]) -> WawaiConfig:
    """``make_config(tmp, cam1={"main": url, "stall_seconds": 2})`` -> a WawaiConfig with those cameras."""
    cameras = {
        cid: CameraConfig(id=cid, streams=StreamsSection(**section)) for cid, section in streams.items()
    }
    return WawaiConfig(directory=tmp, site=SiteConfig(), cameras=cameras)


def drain(queue: DropQueue[T], into: list[T], seconds: float) -> list[T]:
    """Read ``queue`` for ``seconds`` (or until closed and empty), appending to ``into``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            packet = queue.get(timeout=0.05)
        except Closed:
            break
        if packet is not None:
            into.append(packet)
    return into


def assert_monotonic(packets: list[MediaPacket]) -> None:
    """DTS strictly increasing per kind; PTS never before DTS."""
    for kind in ("video", "audio"):
        stamps = [p.dts for p in packets if p.kind == kind]
        assert all(b > a for a, b in itertools.pairwise(stamps)), f"{kind} dts went backwards"
    assert all(p.pts >= p.dts for p in packets if p.kind == "video")
