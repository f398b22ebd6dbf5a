"""Serving recorded video: CPU of the web server handing one HLS playlist and its media to 4 viewers at 1x,
against ffmpeg's ``-c copy`` reading the same files at 1x, in the same run.

Segments: 10 s fMP4 files recorded by the real segmenter from the 1280x720 15 fps test stream (``hd720``,
1.5 Mbit/s), made once per run (no waiting: the packets come from the file). Wawai side: the real app in
uvicorn (a thread of this process; its CPU is this process's CPU over the window, the benchmark's main
thread sleeps), four ``ffmpeg -re -i playlist.m3u8 -c copy -f null -`` viewers in their own processes
(not counted), each fetching the playlist and every segment by byte range like hls.js. Baseline
(``ffmpeg_copy``): four ``ffmpeg -re -f concat -i <the same files> -c copy -f null -`` processes, their
own CPU: what repackaging the files per viewer would cost at the least.

    .venv/bin/python bench/playback.py [--viewers 4] [--seconds 40] [--minutes 3]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import camera_ingest
from recorder.index import SegmentIndex
from recorder.segmenter import Segmenter
from tests.recorder.clips import media_packets
from tests.support.app_fixtures import PASSWORD, LiveServer
from tests.support.rtsp_fixtures import build_media
from wawai import accounts
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.stage import StageContext
from webui.app import create_app

MOUNT = "hd720"
START = 1_700_000_000.0
TICKS = 100


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def make_site(work: Path, minutes: float) -> tuple[StageContext, str, list[Path]]:
    config_dir = work / "config"
    (config_dir / "cameras").mkdir(parents=True)
    (config_dir / "wawai.yaml").write_text(
        f"storage: {{path: {work / 'data'}, min_free_bytes: 0}}\n"
        f"database: {{url: \"sqlite:///{work / 'wawai.db'}\"}}\n")
    (config_dir / "cameras" / "bench.yaml").write_text(
        "streams: {main: /nonexistent.mp4}\ndetect: {enabled: false}\n")
    config = load_config(config_dir)
    upgrade(config.database_url)
    sessions = make_sessionmaker(config.database_url)
    bus = EventBus()
    ctx = StageContext(config=config, hub=camera_ingest.create_hub(config, bus), bus=bus, sessions=sessions)
    index = SegmentIndex(ctx.storage, sessions)
    files: list[Path] = []

    def finished(done):  # type: ignore[no-untyped-def]
        files.append(done.path)
        index.add_segment("bench", done)

    segmenter = Segmenter(ctx.storage, "bench", 10, finished)
    for packet in media_packets(build_media()[MOUNT], START, loops=20):
        if packet.pts_seconds >= minutes * 60:
            break
        segmenter.feed(packet)
    segmenter.finish()
    with sessions() as db:
        user = accounts.create_user(db, "bench", PASSWORD, "admin", [])
        token = accounts.create_token(db, user, "bench")
        db.commit()
    return ctx, token, files


def run_viewers(commands: list[list[str]], seconds: float, measure_self: bool) -> float:
    """Start the commands, wait ``seconds``; CPU of this process (measure_self) or of the children."""
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in commands]
    time.sleep(2.0)  # warm-up: playlists fetched, first segments in
    before = own_cpu() if measure_self else sum(child_cpu(p.pid) for p in procs)
    time.sleep(seconds)
    after = own_cpu() if measure_self else sum(child_cpu(p.pid) for p in procs)
    alive = sum(p.poll() is None for p in procs)
    for proc in procs:
        proc.kill()
        proc.wait()
    if alive != len(procs):
        raise RuntimeError(f"only {alive} of {len(procs)} viewers were still playing at the end")
    return after - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--minutes", type=float, default=3.0, help="recorded video to serve")
    args = parser.parse_args()
    if args.seconds + 5 > args.minutes * 60:
        parser.error("--minutes must cover --seconds of playback")
    with tempfile.TemporaryDirectory(prefix="wawai-bench-playback-") as tmp:
        work = Path(tmp)
        ctx, token, files = make_site(work, args.minutes)
        server = LiveServer(create_app(ctx))
        server.start()
        try:
            end = START + args.minutes * 60
            url = f"{server.url}/api/recordings/bench/playlist.m3u8?start={START}&end={end}"
            header = f"Authorization: Bearer {token}\r\n"
            viewer = ["ffmpeg", "-v", "error", "-re", "-headers", header, "-i", url,
                      "-c", "copy", "-f", "null", "-"]
            wawai_cpu = run_viewers([viewer] * args.viewers, args.seconds, measure_self=True)
        finally:
            server.stop()
        listing = work / "files.txt"
        listing.write_text("".join(f"file '{path}'\n" for path in files))
        copy = ["ffmpeg", "-v", "error", "-re", "-f", "concat", "-safe", "0", "-i", str(listing),
                "-c", "copy", "-f", "null", "-"]
        ffmpeg_cpu = run_viewers([copy] * args.viewers, args.seconds, measure_self=False)
    print(json.dumps({
        "bench": "playback",
        "viewers": args.viewers,
        "seconds": args.seconds,
        "stream": "1280x720 15 fps H.264 1.5 Mbit/s, 10 s segments",
        "wawai_serving_cpu_percent": round(100 * wawai_cpu / args.seconds, 3),
        "baseline": "ffmpeg_copy",
        "ffmpeg_copy_cpu_percent": round(100 * ffmpeg_cpu / args.seconds, 3),
        "ratio": round(wawai_cpu / ffmpeg_cpu, 3) if ffmpeg_cpu else None,
    }))


if __name__ == "__main__":
    main()
