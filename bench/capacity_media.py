"""The quiet cameras' footage for bench/capacity.py, made once and cached.

One cycle per GOP: the walk from the indoor clip (one person walks in, stands in the middle, leaves),
then the empty room held still, with sensor noise (ffmpeg ``noise``) on every frame, H.264 baseline,
640x360, 10 fps, closed GOPs of ``gop`` seconds. A 12-bit code in the top left corner (masked from motion
in the cameras' config) numbers each frame within its cycle, so the bench reads from any analysed frame
where in the cycle it is, whatever the RTSP timestamps. The cycle is looped (stream copy) to cover the
run, and cut (stream copy, on keyframes) at different offsets so the walkers of different cameras are
spread over the cycle instead of all arriving together.

The walker's first moving frame is found once per cycle by the node's own motion gate run on every frame
of the clip (not on keyframes), after the still part: that frame is where wake-up time is counted from.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import av
import numpy as np

from analytics.motion import MotionGate
from wawai.assets import find_asset
from wawai.media import BGRImage

PEOPLE = "video/intel_one-by-one-person_768x432_60s_h264.mp4"
STILL_AT = 3.0  # the room is empty at 3 s of the indoor clip
WALK_FROM, WALK_SECONDS = 5.5, 15.5  # the first person walks in at about 6.5 s and is gone by 21 s
FPS = 10
WIDTH, HEIGHT = 640, 360
CODE_BITS, CODE_CELL = 12, 12  # 12 cells of 12x12 px: frame numbers up to 4095 (409 s cycles)
CODE_MASK = [(0.0, 0.0), (0.25, 0.0), (0.25, 0.06), (0.0, 0.06)]  # the code, kept from the motion gate
MIDDLE = [(0.40, 0.0), (0.75, 0.0), (0.75, 1.0), (0.40, 1.0)]  # where the walker stops


@dataclass(frozen=True)
class QuietFootage:
    gop: int
    period: float  # seconds of one cycle: a walk every ``period`` seconds
    walker_frame: int  # the first frame of a cycle in which the motion gate sees the walker
    variants: dict[float, Path]  # offset into the cycle (s) -> the clip starting there

    @property
    def frames(self) -> int:
        return round(self.period * FPS)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-y", *args], check=True, timeout=900)


def cycle_clip(cache: Path, gop: int, period: float) -> Path:
    target = cache / f"cycle_g{gop}_p{int(period)}.mp4"
    if target.exists():
        return target
    source = find_asset(PEOPLE)
    if source is None:
        sys.exit(f"shared asset {PEOPLE} not found")
    still = cache / "still.png"
    if not still.exists():
        _ffmpeg("-ss", str(STILL_AT), "-i", str(source), "-frames:v", "1", str(still))
    frames = round(period * FPS)
    code = (f"color=c=black:s={CODE_BITS * CODE_CELL}x{CODE_CELL}:r={FPS},format=gray,"
            f"geq=lum='255*mod(floor(N/pow(2\\,floor(X/{CODE_CELL})))\\,2)'")
    scale = f"fps={FPS},scale={WIDTH}:{HEIGHT},format=yuv420p,setsar=1"
    graph = (f"[0:v]{scale}[walk];[1:v]{scale}[still];[walk][still]concat=n=2:v=1[room];"
             f"[room]noise=alls=4:allf=t[noisy];{code}[code];[noisy][code]overlay=0:0:shortest=1[v]")
    tmp = target.with_suffix(".tmp.mp4")
    _ffmpeg("-ss", str(WALK_FROM), "-t", str(WALK_SECONDS), "-i", str(source),
            "-loop", "1", "-framerate", str(FPS), "-t", str(period - WALK_SECONDS + 1), "-i", str(still),
            "-filter_complex", graph, "-map", "[v]", "-frames:v", str(frames),
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline", "-bf", "0",
            "-g", str(FPS * gop), "-keyint_min", str(FPS * gop), "-sc_threshold", "0",
            "-x264-params", "open-gop=0", "-threads", "2", str(tmp))
    tmp.replace(target)
    return target


def _looped(cache: Path, cycle: Path, copies: int) -> Path:
    target = cache / f"{cycle.stem}_x{copies}.mp4"
    if not target.exists():
        tmp = target.with_suffix(".tmp.mp4")
        _ffmpeg("-stream_loop", str(copies - 1), "-i", str(cycle), "-c", "copy", str(tmp))
        tmp.replace(target)
    return target


def _cut(looped: Path, offset: float) -> Path:
    target = looped.with_name(f"{looped.stem}_at{int(offset)}.mp4")
    if not target.exists():
        tmp = target.with_suffix(".tmp.mp4")
        _ffmpeg("-ss", str(offset), "-i", str(looped), "-c", "copy", "-avoid_negative_ts", "make_zero",
                str(tmp))
        tmp.replace(target)
    return target


def read_code(image: BGRImage) -> int:
    """The frame's number within its cycle, read from the code in the corner (any picture size)."""
    height, width = image.shape[:2]
    scale_x, scale_y = width / WIDTH, height / HEIGHT
    y = int((CODE_CELL / 2) * scale_y)
    value = 0
    for bit in range(CODE_BITS):
        x = int((bit * CODE_CELL + CODE_CELL / 2) * scale_x)
        if int(np.mean(image[y, x])) > 128:
            value |= 1 << bit
    return value


def _walker_frame(looped: Path, frames: int) -> int:
    """The first frame of the second cycle in which the motion gate sees motion (full rate)."""
    sidecar = looped.with_suffix(".walker.json")
    if sidecar.exists():
        return int(json.loads(sidecar.read_text())["walker_frame"])
    gate = MotionGate([list(CODE_MASK)])
    found = None
    with av.open(str(looped)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            image = cast(BGRImage, frame.to_ndarray(format="bgr24"))
            moving = gate.update(image).moving
            if index >= frames and moving:
                found = read_code(image)
                break
            if index > frames + 10 * FPS:
                break
    if found is None:
        sys.exit(f"{looped.name}: the motion gate saw no walker in the first 10 s of the second cycle")
    sidecar.write_text(json.dumps({"walker_frame": found}))
    return found


def quiet_footage(
    cache: Path, gop: int, period: float, seconds: float, phases: int, shift: float = 0.0
) -> QuietFootage:
    """Clips for ``phases`` walker offsets spread over the cycle (on 4 s keyframe boundaries), all moved
    by ``shift`` seconds (so the GOPs' walkers do not arrive together either)."""
    if period * FPS >= 2**CODE_BITS or period <= WALK_SECONDS + 10:
        sys.exit(f"--walk-every {period}: use {WALK_SECONDS + 10:g} to {(2**CODE_BITS - 1) / FPS:g} seconds")
    cycle = cycle_clip(cache, gop, period)
    copies = math.ceil((seconds + 2 * period) / period) + 1
    looped = _looped(cache, cycle, copies)
    walker = _walker_frame(looped, round(period * FPS))
    step = 4 * gop // math.gcd(4, gop)  # keyframes of every GOP (1, 2, 4 s) fall on multiples of 4 s
    offsets = sorted({float(round((k * period / phases + shift) / step) * step % period)
                      for k in range(phases)})
    return QuietFootage(gop, period, walker, {offset: _cut(looped, offset) for offset in offsets})
