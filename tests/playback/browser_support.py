"""Helpers for the playback pages in Chromium: screenshots, the frame on screen, decoded reference frames."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

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
