"""What a segment's thumbnail costs when it is asked for: CPU and disk, against the segment's own remux in
the same run.

Segments of 10 s are recorded by the real segmenter from the 1280x720 15 fps test stream (``hd720``,
1.5 Mbit/s; its keyframe comes every 4 s): that remux is the baseline. Then each segment's thumbnail is
made the way the web server makes it at the first request (``wawai.thumbnails.ensure_thumbnail``: the
file's first keyframe decoded, scaled to 160 px, JPEG). Recording no longer pays for it; a camera whose
every thumbnail is looked at would pay ``thumbnail_core_percent_per_camera``. Thread CPU time, one thread.

    .venv/bin/python bench/thumbnails.py [--segments 30]

Prints one JSON line: CPU per thumbnail, share of one core per camera, bytes per thumbnail and per day.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recorder.segmenter import Segmenter
from tests.recorder.clips import media_packets
from tests.support.rtsp_fixtures import build_media
from wawai.thumbnails import ensure_thumbnail

MOUNT = "hd720"
SEGMENT_SECONDS = 10
DAY = 86_400


def record(storage: Path, segments: int) -> tuple[float, list[Path]]:
    packets = [p for p in media_packets(build_media()[MOUNT], 1_700_000_000.0, loops=20)
               if p.pts_seconds < segments * SEGMENT_SECONDS]
    done: list[Path] = []
    segmenter = Segmenter(storage, "bench", SEGMENT_SECONDS, lambda f: done.append(f.path))
    started = time.thread_time()
    for packet in packets:
        segmenter.feed(packet)
    segmenter.finish()
    return time.thread_time() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wawai-bench-thumbs-") as tmp:
        remux_cpu, files = record(Path(tmp), args.segments)
        started = time.thread_time()
        made = [ensure_thumbnail(path) for path in files]
        thumbs_cpu = time.thread_time() - started
        sizes = [path.stat().st_size for path in made if path is not None]
    per_thumb = thumbs_cpu / max(len(sizes), 1)
    per_day = DAY / SEGMENT_SECONDS
    print(json.dumps({
        "bench": "thumbnails",
        "stream": "1280x720 15 fps H.264 1.5 Mbit/s, 10 s segments",
        "segments": len(files),
        "thumbnails": len(sizes),
        "baseline": "remux", "made": "on first request",
        "remux_cpu_ms_per_segment": round(1000 * remux_cpu / len(files), 3),
        "thumbnail_cpu_ms": round(1000 * per_thumb, 3),
        "thumbnail_core_percent_per_camera": round(100 * per_thumb / SEGMENT_SECONDS, 4),
        "ratio": round(per_thumb * len(files) / remux_cpu, 3) if remux_cpu else None,
        "thumbnail_bytes": round(sum(sizes) / max(len(sizes), 1)),
        "thumbnail_mb_per_camera_day": round(sum(sizes) / max(len(sizes), 1) * per_day / 1e6, 1),
    }))


if __name__ == "__main__":
    main()
