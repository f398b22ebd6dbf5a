"""Recording cost against ffmpeg's segmenter, on the same RTSP streams in the same run.

N cameras (default 8) read a 1280x720 15 fps H.264 stream (the vtest clip scaled with ffmpeg once, served
by the gst-rtsp-server test server; one RTSP session per camera). Wawai's ingest hub + recorder record
them into 10 s fMP4 segments while, at the same time, N ``ffmpeg -rtsp_transport tcp -i URL -c copy -f
segment -segment_time 10`` processes record the same streams. Both sides include reading RTSP. CPU is
counted from each process's own user+system time over the same window after a warm-up: ``wawai_cpu`` is
the whole Python process (with the benchmark's own threads), ``ingest_plus_recorder`` only the ingest
(``ingest-*``) and recorder (``recorder-*``) threads, each against ``ffmpeg_segment``. Then a 10-minute
clip is exported from 10 minutes of segments made from the same stream (timed, single run).

    .venv/bin/python bench/record.py [--cameras 8] [--seconds 60]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recorder.index import SegmentIndex
from recorder.segmenter import Segmenter
from recorder.service import RecordingsService
from tests.recorder.clips import media_packets
from tests.recorder.conftest import migrated_sessions
from tests.recorder.rtsp_support import build, segment_rows, start, stop, write_recorder_config
from tests.support.rtsp_fixtures import build_media, running_server

MOUNT = "hd720"  # vtest scaled to 1280x720 at 15 fps, 1.5 Mbit/s (ffmpeg, made once and cached)
WARMUP_SECONDS = 3.0
TICKS = os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stat_cpu(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def child_cpu(pid: int) -> float:
    return _stat_cpu(Path(f"/proc/{pid}/stat"))


def threads_cpu(prefix: str) -> float:
    """CPU of this process's threads whose name starts with ``prefix`` (recorder-: per-camera writers and
    retention; ingest-: RTSP readers and the hub's watchdog)."""
    total = 0.0
    for thread in threading.enumerate():
        if thread.name.startswith(prefix) and thread.native_id is not None:
            try:
                total += _stat_cpu(Path(f"/proc/self/task/{thread.native_id}/stat"))
            except FileNotFoundError:
                continue
    return total


def export_ten_minutes(media: Path, work: Path) -> dict[str, float]:
    storage = work / "export-storage"
    sessions = migrated_sessions(work / "export.db")
    index = SegmentIndex(storage, sessions)
    start_at = 1_700_000_000.0
    segmenter = Segmenter(storage, "bench", 10, lambda f: index.add_segment("bench", f))
    for packet in media_packets(media, start_at, loops=40):
        if packet.pts_seconds >= 610:
            break
        segmenter.feed(packet)
    segmenter.finish()
    service = RecordingsService(storage, sessions)
    began = time.perf_counter()
    result = service.export_clip("bench", start_at + 5, start_at + 605, work / "clip.mp4")
    took = time.perf_counter() - began
    return {"export_10min_seconds": round(took, 3), "export_10min_clip_seconds": round(result.duration, 2),
            "export_10min_bytes": result.bytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    media = build_media()
    with tempfile.TemporaryDirectory(prefix="wawai-bench-record-") as tmp, \
            running_server(media, Path(tmp)) as server:
        work = Path(tmp)
        # A query string makes each camera a URL of its own: one RTSP session per camera, as with cameras.
        urls = {f"cam-{i}": f"{server.url(MOUNT)}?camera={i}" for i in range(args.cameras)}
        config_dir = write_recorder_config(work / "wawai", urls, storage=work / "wawai" / "data",
                                           segment_seconds=10)
        ctx, stage = build(config_dir)
        ffmpeg_dirs = [work / "ffmpeg" / cam for cam in urls]
        procs = []
        for folder, url in zip(ffmpeg_dirs, urls.values(), strict=True):
            folder.mkdir(parents=True)
            procs.append(subprocess.Popen(
                ["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url,
                 "-c", "copy", "-f", "segment", "-segment_time", "10", "-reset_timestamps", "1",
                 str(folder / "%05d.mp4")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        start(ctx, stage)
        try:
            time.sleep(WARMUP_SECONDS)
            ours0, theirs0, wall0 = own_cpu(), [child_cpu(p.pid) for p in procs], time.monotonic()
            writers0, readers0 = threads_cpu("recorder-"), threads_cpu("ingest-")
            time.sleep(args.seconds)
            ours1, theirs1, wall1 = own_cpu(), [child_cpu(p.pid) for p in procs], time.monotonic()
            writers1, readers1 = threads_cpu("recorder-"), threads_cpu("ingest-")
            states = {cam: stage.camera_status(cam)["state"] for cam in urls}
        finally:
            stop(ctx, stage)
            for proc in procs:
                proc.send_signal(signal.SIGINT)
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        wall = wall1 - wall0
        ours = (ours1 - ours0) / wall / args.cameras * 100
        theirs = (sum(theirs1) - sum(theirs0)) / wall / args.cameras * 100
        writers = (writers1 - writers0) / wall / args.cameras * 100
        readers = (readers1 - readers0) / wall / args.cameras * 100
        node = writers + readers  # ingest + recorder threads: the node's part of recording, no bench threads
        segments = len(segment_rows(ctx))
        ffmpeg_files = sum(len(list(folder.glob("*.mp4"))) for folder in ffmpeg_dirs)
        exported = export_ten_minutes(server.media_path(MOUNT), work)
    print(json.dumps({
        "bench": "record", "cameras": args.cameras, "seconds": round(wall, 1),
        "stream": "1280x720 15 fps H.264",
        "wawai_cpu_pct_per_camera": round(ours, 3), "ffmpeg_segment_cpu_pct_per_camera": round(theirs, 3),
        "ratio_wawai_to_ffmpeg": round(ours / theirs, 3) if theirs else None,
        "recorder_threads_cpu_pct_per_camera": round(writers, 3),
        "ingest_threads_cpu_pct_per_camera": round(readers, 3),
        "ingest_plus_recorder_cpu_pct_per_camera": round(node, 3),
        "ratio_ingest_plus_recorder_to_ffmpeg": round(node / theirs, 3) if theirs else None,
        "wawai_segments": segments, "ffmpeg_segments": ffmpeg_files,
        "camera_states": sorted(set(states.values())), **exported,
    }))


if __name__ == "__main__":
    main()
