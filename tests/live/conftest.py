"""Clips for the live tests: the shared footage, plus B-frame and H.265 versions made once per session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from wawai.assets import find_asset

CLIP = "video/vtest_640x480_30s_h264.mp4"


@pytest.fixture(scope="session")
def h264_clip() -> Path:
    path = find_asset(CLIP)
    if path is None:
        pytest.skip(f"shared asset {CLIP} not found")
    return path


def _encode(source: Path, target: Path, codec_args: list[str]) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is needed to make the B-frame/H.265 clips")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-t", "8", "-an", *codec_args, str(target)],
        check=True,
    )
    return target


@pytest.fixture(scope="session")
def bframe_clip(h264_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("clips") / "bframes.mp4"
    return _encode(h264_clip, target, ["-c:v", "libx264", "-profile:v", "high", "-bf", "2", "-g", "20"])


@pytest.fixture(scope="session")
def hevc_clip(h264_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("clips") / "hevc.mp4"
    return _encode(h264_clip, target, ["-c:v", "libx265", "-x265-params", "log-level=error:keyint=20"])
