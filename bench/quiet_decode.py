"""Decode CPU of a quiet camera (keyframes only) against full decoding, per keyframe interval.

    .venv/bin/python bench/quiet_decode.py [--gop 1,2,4] [--walk-every 120]

The stream is bench/capacity.py's quiet camera (the still room with sensor noise and one walker per
cycle, 768x432 at 10 fps, H.264), one cycle per GOP. Each clip goes through ingest's own decoder thread
(``FrameProducer`` on a ``PacketFanout``, one subscriber at 5 fps, as analytics subscribes) twice: every
picture decoded, then keyframes only (the subscriber's quiet mode). The figure is the decoder thread's
own CPU (/proc/self/task/TID/stat) per second of video, so the bench's feeding is not counted.
Baseline, same run: ``ffmpeg -threads 1 -i CLIP -f null -``, and with ``-skip_frame nokey``.

Prints one JSON line: per GOP the CPU (% of one core per camera) of both modes, quiet / full, and each
mode against ffmpeg.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from capacity_media import cycle_clip  # noqa: E402

from camera_ingest.fanout import PacketFanout  # noqa: E402
from camera_ingest.frames import FrameProducer  # noqa: E402
from tests.recorder.clips import media_packets  # noqa: E402
from tests.support.processes import stat_cpu_seconds  # noqa: E402
from wawai.media import MediaPacket  # noqa: E402

DETECT_FPS = 5.0
QUEUE_AHEAD = 50  # packets published ahead of the decoder (its queue holds 300)


def decoder_cpu(packets: list[MediaPacket], keyframes_only: bool) -> float:
    """CPU seconds of the decoder thread for ``packets``."""
    fanout = PacketFanout()
    producer = FrameProducer("bench", "main", fanout)
    handle = producer.subscribe("analytics", fps=DETECT_FPS, max_width=768, maxsize=1000)
    handle.set_keyframes_only(keyframes_only)
    thread = next(t for t in threading.enumerate() if t.name == "decode-bench-main")
    assert thread.native_id is not None
    stat = Path(f"/proc/self/task/{thread.native_id}/stat")
    before = stat_cpu_seconds(stat)
    assert producer._packets is not None
    queue = producer._packets.queue  # the decoder's input: read only to pace the feed
    for packet in packets:
        while len(queue) > QUEUE_AHEAD:
            time.sleep(0.002)
        fanout.publish(packet)
        while handle.queue.get(timeout=0) is not None:
            pass
    while len(queue):
        time.sleep(0.01)
    time.sleep(0.2)  # the last picture being decoded
    spent = stat_cpu_seconds(stat) - before
    handle.close()
    fanout.close_all()
    return spent


def ffmpeg_cpu(clip: Path, keyframes_only: bool) -> float:
    skip = ["-skip_frame", "nokey"] if keyframes_only else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", *skip, "-i", str(clip),
                    "-f", "null", "-"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gop", default="1,2,4", help="keyframe intervals (s)")
    parser.add_argument("--walk-every", type=float, default=120.0, help="seconds of one cycle")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "wawai-bench-capacity-media"
    cache.mkdir(exist_ok=True)
    results = []
    for gop in (int(g) for g in args.gop.split(",")):
        clip = cycle_clip(cache, gop, args.walk_every)
        packets = list(media_packets(clip, time.time()))
        first, last = packets[0], packets[-1]
        seconds = (last.pts - first.pts + last.duration) * first.time_base
        figures: dict[str, dict[str, float | None]] = {}
        ours: dict[str, float] = {}
        for mode, quiet in (("full", False), ("keyframes", True)):
            ours[mode] = decoder_cpu(packets, quiet) / float(seconds)
            theirs = ffmpeg_cpu(clip, quiet) / float(seconds)
            figures[mode] = {"cpu_pct_per_camera": round(100 * ours[mode], 3),
                             "ffmpeg_cpu_pct": round(100 * theirs, 3),
                             "ratio_vs_ffmpeg": round(ours[mode] / theirs, 2) if theirs else None}
        results.append({"gop_s": gop, "video_s": round(float(seconds), 1), **figures,
                        "keyframes_vs_full": round(ours["keyframes"] / ours["full"], 3)})
    print(json.dumps({"bench": "quiet_decode", "cpus": os.cpu_count(), "detect_fps": DETECT_FPS,
                      "per_gop": results}))


if __name__ == "__main__":
    main()
