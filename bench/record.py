"""Recording cost of the whole Wawai node against ffmpeg's segmenter, same RTSP streams, same run.

N cameras (default 8) read a 1280x720 15 fps H.264 stream (the vtest clip scaled with ffmpeg once, served
by the gst-rtsp-server test server; one RTSP session per camera). The node runs as it does in production
(``python -m wawai.node``, through ``bench/record_node.py``, which only gives its threads OS names): web
server, ingest hub, recorder, analytics stage (detection off), health sampler, outbox relay, config
watcher, retention, all of it, recording continuously into 10 s fMP4 segments. At the same time N
``ffmpeg -rtsp_transport tcp -i URL -c copy -f segment -segment_time 10`` processes record the same
streams. Both sides include reading RTSP. CPU is each process's own user+system time (``/proc/PID/stat``)
over the same window after every camera is online and a warm-up; nobody watches, nothing polls the node
during the window. ``wawai_cpu`` is the whole node process; ``threads_cpu_pct_per_camera`` splits it by
thread (``ingest``: RTSP readers and the hub watchdog, ``recorder``: writers and retention, ``main``: the
asyncio loop with the web server, ...). Then a 10-minute clip is exported from 10 minutes of segments made
from the same stream (timed, single run; ``--no-export`` skips it).

    .venv/bin/python bench/record.py [--cameras 8] [--seconds 60] [--no-export]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recorder.index import SegmentIndex
from recorder.segmenter import Segmenter
from recorder.service import RecordingsService
from tests.recorder.clips import media_packets
from tests.recorder.conftest import migrated_sessions
from tests.support.processes import cpu_seconds, stat_cpu_seconds, stop_processes
from tests.support.rtsp_fixtures import build_media, free_port, running_server
from tests.support.waiting import wait_until
from wawai import accounts
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.recordings import RecordingSegment

MOUNT = "hd720"  # vtest scaled to 1280x720 at 15 fps, 1.5 Mbit/s (ffmpeg, made once and cached)
WARMUP_SECONDS = 5.0
START_SECONDS = 90.0  # the node's start (imports, migrations) on a busy 2-core machine
REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench password long enough"


def thread_group(name: str) -> str:
    """``recorder-cam-3`` -> ``recorder``; the main thread (named after the program) -> ``main``."""
    head = name.split("-", 1)[0]
    return "main" if head.startswith("python") or head == "record_node.py" else head


def threads_cpu(pid: int) -> dict[str, float]:
    """CPU by thread group; a thread that ended during the window takes its time with it (rare here)."""
    groups: dict[str, float] = defaultdict(float)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            groups[thread_group((task / "comm").read_text().strip())] += stat_cpu_seconds(task / "stat")
        except (FileNotFoundError, ProcessLookupError):
            continue
    return dict(groups)


def write_node_config(root: Path, urls: dict[str, str], port: int) -> Path:
    directory = root / "config"
    (directory / "cameras").mkdir(parents=True)
    (directory / "wawai.yaml").write_text(textwrap.dedent(f"""\
        site: {{name: Bench, timezone: UTC}}
        storage: {{path: {root / 'data'}, min_free_bytes: 0}}
        database: {{url: "sqlite:///{root / 'db' / 'wawai.db'}"}}
        web: {{host: 127.0.0.1, port: {port}}}
        defaults:
          record: {{mode: continuous, segment_seconds: 10}}
          detect: {{enabled: false}}
        """))
    for camera_id, url in urls.items():
        (directory / "cameras" / f"{camera_id}.yaml").write_text(f"streams: {{main: \"{url}\"}}\n")
    return directory


def admin_token(database_url: str) -> str:
    upgrade(database_url)
    sessions = make_sessionmaker(database_url)
    with sessions() as db:
        token = accounts.create_token(db, accounts.create_user(db, "bench", PASSWORD, "admin"))
        db.commit()
    sessions.kw["bind"].dispose()
    return token


@contextmanager
def running_node(config_dir: Path, port: int, log_path: Path) -> Iterator[tuple[subprocess.Popen[bytes],
                                                                               httpx.Client]]:
    token = admin_token(load_config(config_dir).database_url)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "record_node.py"), "--config", str(config_dir),
             "--log-level", "WARNING"],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    try:
        yield process, client
    finally:
        client.close()
        stop_processes([process], timeout=30)


def camera_states(client: httpx.Client) -> dict[str, str]:
    try:
        response = client.get("/api/cameras")
    except httpx.HTTPError:
        return {}
    if response.status_code != 200:
        return {}
    return {camera["id"]: camera["status"]["state"] for camera in response.json()}


def start_ffmpeg(urls: list[str], folders: list[Path]) -> list[subprocess.Popen[bytes]]:
    procs = []
    for folder, url in zip(folders, urls, strict=True):
        folder.mkdir(parents=True)
        procs.append(subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url,
             "-c", "copy", "-f", "segment", "-segment_time", "10", "-reset_timestamps", "1",
             str(folder / "%05d.mp4")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def stop_ffmpeg(procs: list[subprocess.Popen[bytes]]) -> None:
    stop_processes(procs, timeout=10, sig=signal.SIGINT)  # SIGINT: ffmpeg closes its last segment


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


def segment_count(database_url: str) -> int:
    sessions = make_sessionmaker(database_url)
    with sessions() as db:
        count = db.scalar(select(func.count()).select_from(RecordingSegment)) or 0
    sessions.kw["bind"].dispose()
    return int(count)


def per_camera(before: float, after: float, wall: float, cameras: int) -> float:
    return round((after - before) / wall / cameras * 100, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-export", action="store_true", help="skip the 10-minute clip export")
    args = parser.parse_args()
    media = build_media()
    with tempfile.TemporaryDirectory(prefix="wawai-bench-record-") as tmp, \
            running_server(media, Path(tmp)) as server:
        work = Path(tmp)
        # A query string makes each camera a URL of its own: one RTSP session per camera, as with cameras.
        urls = {f"cam-{i}": f"{server.url(MOUNT)}?camera={i}" for i in range(args.cameras)}
        port = free_port()
        config_dir = write_node_config(work / "wawai", urls, port)
        database_url = load_config(config_dir).database_url
        ffmpeg_dirs = [work / "ffmpeg" / cam for cam in urls]
        with running_node(config_dir, port, work / "node.log") as (node, client):
            procs = start_ffmpeg(list(urls.values()), ffmpeg_dirs)
            try:
                online = wait_until(lambda: set(camera_states(client).values()) == {"online"}
                                    and len(camera_states(client)) == args.cameras, START_SECONDS)
                if not online:
                    sys.exit(f"bench: cameras not online after {START_SECONDS:g} s: {camera_states(client)}"
                             f" (node log: {(work / 'node.log').read_text()[-2000:]})")
                time.sleep(WARMUP_SECONDS)
                ours0, threads0 = cpu_seconds(node.pid), threads_cpu(node.pid)
                theirs0, wall0 = [cpu_seconds(p.pid) for p in procs], time.monotonic()
                time.sleep(args.seconds)
                ours1, threads1 = cpu_seconds(node.pid), threads_cpu(node.pid)
                theirs1, wall1 = [cpu_seconds(p.pid) for p in procs], time.monotonic()
                states = camera_states(client)
            finally:
                stop_ffmpeg(procs)
        wall = wall1 - wall0
        ours = per_camera(ours0, ours1, wall, args.cameras)
        theirs = per_camera(sum(theirs0), sum(theirs1), wall, args.cameras)
        threads = {group: per_camera(threads0.get(group, 0.0), cpu, wall, args.cameras)
                   for group, cpu in sorted(threads1.items())}
        node_part = round(threads.get("ingest", 0.0) + threads.get("recorder", 0.0), 3)
        ffmpeg_files = sum(len(list(folder.glob("*.mp4"))) for folder in ffmpeg_dirs)
        segments = segment_count(database_url)
        exported = {} if args.no_export else export_ten_minutes(server.media_path(MOUNT), work)
    print(json.dumps({
        "bench": "record", "cameras": args.cameras, "seconds": round(wall, 1),
        "stream": "1280x720 15 fps H.264", "measured": "whole node process (python -m wawai.node)",
        "wawai_cpu_pct_per_camera": ours, "ffmpeg_segment_cpu_pct_per_camera": theirs,
        "ratio_wawai_to_ffmpeg": round(ours / theirs, 3) if theirs else None,
        "threads_cpu_pct_per_camera": threads,
        "ingest_plus_recorder_cpu_pct_per_camera": node_part,
        "ratio_ingest_plus_recorder_to_ffmpeg": round(node_part / theirs, 3) if theirs else None,
        "wawai_segments": segments, "ffmpeg_segments": ffmpeg_files,
        "camera_states": sorted(set(states.values())), **exported,
    }))


if __name__ == "__main__":
    main()
