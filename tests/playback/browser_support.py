"""Helpers for the playback pages in Chromium: screenshots, the frame on screen, decoded reference frames."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import av
import cv2
import numpy as np

from tests.playback.recording_site import TIMEZONE, RecordingSite
from tests.support.browser_fixtures import sign_in
from wawai.db.recordings import RecordingSegment

ARTIFACTS = Path(os.environ.get("WAWAI_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
THUMB = (80, 60)  # width, height the frames are compared at

# The frame on screen, greyscale at THUMB size, and the player's own idea of its wall-clock time.
GRAB_FRAME = """([w, h]) => {
  const player = window.wawaiPlayer;
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const g = canvas.getContext('2d');
  g.drawImage(player.video, 0, 0, w, h);
  const rgba = g.getImageData(0, 0, w, h).data;
  const grey = [];
  for (let i = 0; i < rgba.length; i += 4) {
    grey.push(0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2]);
  }
  return { grey, state: player.state() };
}"""


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def reference_frames(storage: Path, rows: list[RecordingSegment]) -> list[tuple[float, np.ndarray]]:
    """(wall-clock time, greyscale THUMB picture) of every frame of ``rows``, decoded with PyAV."""
    frames: list[tuple[float, np.ndarray]] = []
    for row in rows:
        with av.open(str(storage / row.path)) as container:
            for frame in container.decode(video=0):
                assert frame.time is not None
                grey = cv2.cvtColor(frame.to_ndarray(format="bgr24"), cv2.COLOR_BGR2GRAY)
                small = cv2.resize(grey, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
                frames.append((row.start + frame.time, small))
    return frames


def best_match(grey: list[float], frames: list[tuple[float, np.ndarray]]) -> tuple[float, float]:
    """(wall-clock time of the reference frame most like ``grey``, its mean absolute difference)."""
    shown = np.array(grey, dtype=np.float32).reshape(THUMB[1], THUMB[0])
    scores = [(float(np.abs(picture - shown).mean()), wall) for wall, picture in frames]
    difference, wall = min(scores)
    return wall, difference


def page_url(site: RecordingSite, camera: str, at: float | None = None, zoom: int = 3600) -> str:
    day = datetime.fromtimestamp(site.started_at, ZoneInfo(TIMEZONE)).strftime("%Y-%m-%d")
    url = (f"{site.server.url}/static/recordings.html?camera={camera}&day={day}&days=1&zoom={zoom}"
           f"&start={int((site.started_at - 600) * 1000)}")
    return url + (f"&at={int(at * 1000)}" if at is not None else "")


def open_page(page, site: RecordingSite, role: str, url: str) -> None:
    user = site.users[role]
    sign_in(page, site.server.url, user.name, user.password)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
