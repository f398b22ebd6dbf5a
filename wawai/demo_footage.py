"""The demo's footage: found in the asset mirror, or made once from Debian's ``opencv-doc`` walkway clip.

The demo's walkway cameras play H.264 files cut from OpenCV's sample ``vtest.avi`` (768x576 MS-MPEG4,
10 fps, 79.5 s; sha256 45cddc94...16cf in opencv-doc 4.6.0+dfsg-12). A mirror (``$WAWAI_ASSETS`` or
``../shared/assets``) is used first when it holds the file; otherwise the file is encoded once with
ffmpeg into ``data/cache/footage/`` and reused from there.

The encoding is fixed below so every machine makes the same bytes: libx264 with one thread (x264's
output depends on its thread count), no scene-cut keyframes, a GOP of 20, and ``bitexact`` so no
version strings or dates are written by the muxer. With Debian 12's ffmpeg 5.1 / x264 164, encoding
twice gives the same SHA-256 (tests/ingest/test_demo_footage.py checks it). Clips that only the mirror
has (the Intel samples) cannot be made here: the demo leaves their cameras out.

Run ``python -m wawai.demo_footage`` to make the files ahead of time (scripts/setup.sh does).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wawai.assets import REPO_ROOT, find_asset

log = logging.getLogger(__name__)

DEBIAN_PACKAGE = "opencv-doc"
DEBIAN_VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
CACHE_DIR = REPO_ROOT / "data" / "cache"
FOOTAGE_DIR = CACHE_DIR / "footage"
# Where setup.sh extracts vtest.avi from the .deb when dpkg is told not to install /usr/share/doc
# (minimal container images often are).
EXTRACTED_VTEST = CACHE_DIR / "opencv-doc" / "vtest.avi"

# H.264 Constrained Baseline (no B-frames: browsers get it as is), 640x480, 10 fps, a keyframe every 2 s.
ENCODE_ARGS = (
    "-map", "0:v:0", "-vf", "scale=640:480:flags=bicubic",
    "-c:v", "libx264", "-preset", "medium", "-profile:v", "baseline", "-crf", "28",
    "-g", "20", "-keyint_min", "20", "-sc_threshold", "0", "-threads", "1", "-pix_fmt", "yuv420p",
    "-an", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
    "-fflags", "+bitexact", "-flags:v", "+bitexact", "-movflags", "+faststart", "-f", "mp4",
)


@dataclass(frozen=True)
class Recipe:
    """How one demo clip is made from vtest.avi: extra output options (a duration) on ENCODE_ARGS."""

    relative: str  # the name under the asset mirror, e.g. video/vtest_640x480_h264.mp4
    extra: tuple[str, ...] = ()


RECIPES = {
    recipe.relative: recipe
    for recipe in (
        Recipe("video/vtest_640x480_h264.mp4"),
        Recipe("video/vtest_640x480_30s_h264.mp4", ("-t", "30")),
    )
}


class FootageError(Exception):
    """ffmpeg failed to make a clip; one line saying why."""


def debian_source() -> Path | None:
    """vtest.avi as Debian's opencv-doc installs it, or as setup.sh extracted it from the package."""
    for path in (DEBIAN_VTEST, EXTRACTED_VTEST):
        if path.is_file():
            return path
    return None


def can_make(relative: str) -> bool:
    """Whether this clip has a recipe (made from Debian's file), as opposed to being mirror-only."""
    return relative in RECIPES


def cached_path(relative: str, cache: Path | None = None) -> Path:
    return (cache or FOOTAGE_DIR) / Path(relative).name


def find_footage(relative: str, *, cache: Path | None = None) -> Path | None:
    """The mirror's copy if there is one, else the cached clip, made now from Debian's file if needed.

    None when neither the mirror nor a recipe with its source can give the clip.
    """
    mirrored = find_asset(relative)
    if mirrored is not None:
        return mirrored
    if not can_make(relative):
        return None
    target = cached_path(relative, cache)
    if target.is_file():
        return target
    source = debian_source()
    if source is None:
        return None
    return make_clip(RECIPES[relative], source, target)


def make_clip(recipe: Recipe, source: Path, target: Path) -> Path:
    """Encode ``recipe`` from ``source`` into ``target`` (a temp file first, renamed when complete)."""
    if shutil.which("ffmpeg") is None:
        raise FootageError("ffmpeg is not installed (apt-get install ffmpeg; ./scripts/setup.sh does)")
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("making demo footage %s from %s (once; about 15 s)", target.name, source)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), *ENCODE_ARGS, *recipe.extra,
               str(temp)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise FootageError(f"ffmpeg could not make {target.name} from {source}: {last}")
        temp.chmod(0o644)  # mkstemp makes it private
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


def main() -> int:
    """Make every demo clip that the mirror does not hold; say which ones could not be made."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    source = debian_source()
    status = 0
    for relative in RECIPES:
        try:
            found = find_footage(relative)
        except FootageError as exc:
            print(f"footage: {exc}", file=sys.stderr)
            status = 1
            continue
        if found is None:
            print(f"footage: {relative}: no mirror copy and no {DEBIAN_VTEST} "
                  f"(apt-get install {DEBIAN_PACKAGE})", file=sys.stderr)
            status = 1
        else:
            print(f"footage: {relative} -> {found}")
    if source is None and status:
        print("footage: the demo needs Debian's opencv-doc or the asset mirror for its walkway cameras",
              file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
