"""What the per-segment thumbnail costs a camera: CPU and disk, against the segment's own remux in the
same run.

Segments of 10 s are recorded by the real segmenter from the 1280x720 15 fps test stream (``hd720``,
1.5 Mbit/s; its keyframe comes every 4 s) with thumbnails off (``remux``, the baseline) and then on; the
difference is the thumbnail (one keyframe decoded, scaled to 160 px, JPEG). Thread CPU time, one thread.

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

import recorder.segment_file as segment_file
from recorder.segmenter import Segmenter
from recorder.thumbnail import thumbnail_path
from tests.recorder.clips import media_packets
from tests.support.rtsp_fixtures import build_media

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
        real = segment_file.write_thumbnail
        segment_file.write_thumbnail = lambda *_args: False
        try:
            remux_cpu, _ = record(Path(tmp) / "off", args.segments)
        finally:
            segment_file.write_thumbnail = real
        with_cpu, files = record(Path(tmp) / "on", args.segments)
        sizes = [thumbnail_path(p).stat().st_size for p in files if thumbnail_path(p).exists()]
    per_thumb = max(0.0, with_cpu - remux_cpu) / max(len(sizes), 1)
    per_day = DAY / SEGMENT_SECONDS
    print(json.dumps({
        "bench": "thumbnails",
        "stream": "1280x720 15 fps H.264 1.5 Mbit/s, 10 s segments",
        "segments": len(files),
        "thumbnails": len(sizes),
        "baseline": "remux",
        "remux_cpu_ms_per_segment": round(1000 * remux_cpu / len(files), 3),
        "thumbnail_cpu_ms": round(1000 * per_thumb, 3),
        "thumbnail_core_percent_per_camera": round(100 * per_thumb / SEGMENT_SECONDS, 4),
        "ratio": round(per_thumb * len(files) / remux_cpu, 3) if remux_cpu else None,
        "thumbnail_bytes": round(sum(sizes) / max(len(sizes), 1)),
        "thumbnail_mb_per_camera_day": round(sum(sizes) / max(len(sizes), 1) * per_day / 1e6, 1),
    }))


if __name__ == "__main__":
    main()
