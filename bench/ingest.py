"""Ingest cost per camera: Wawai's hub against ffmpeg reading the same RTSP streams.

    .venv/bin/python bench/ingest.py [--cameras 8] [--seconds 60] [--fps 5]

Starts the test RTSP server (gst-rtsp-server, tests/support) with one mount per camera, each serving
the generated 1280x720 15 fps H.264 clip (keyframe every 4 s). Then, one scenario after the other:

    wawai_demux    the hub reading N cameras, one packet subscriber per camera (as the recorder reads)
    wawai_decode   the same plus one frame subscriber per camera at --fps (BGR ndarrays, as analytics)
    ffmpeg_copy    N x `ffmpeg -rtsp_transport tcp -i URL -c copy -f null -`
    ffmpeg_decode  N x `ffmpeg -rtsp_transport tcp -i URL -vf fps=F,format=bgr24 -f null -`

CPU is the process CPU time (user + system) over the measured window, as % of one core per camera;
memory is resident memory per camera (Wawai: growth of its one process over its idle baseline; ffmpeg:
each process's own RSS, one process per camera). Prints one JSON line with the figures and the ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.processes import cpu_seconds  # noqa: E402

WARMUP = 4.0  # seconds to connect and settle before measuring
MOUNT = "hd720"
CONSUMER_BATCH_SECONDS = 0.2  # as the recorder drains its queue


def rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the Wawai side, run in its own process ------------------------------------------------------


def worker(urls: list[str], seconds: float, fps: float | None) -> dict[str, Any]:
    import camera_ingest.hub  # noqa: F401 - imported before the baseline: libraries are not per camera
    from camera_ingest import create_hub
    from wawai.bus import EventBus
    from wawai.config.model import WawaiConfig
    from wawai.config.schema import CameraConfig, SiteConfig, StreamsSection
    from wawai.queues import Closed

    cameras = {
        f"cam{i}": CameraConfig(id=f"cam{i}", streams=StreamsSection(main=url)) for i, url in enumerate(urls)
    }
    config = WawaiConfig(directory=Path(tempfile.gettempdir()), site=SiteConfig(), cameras=cameras)
    baseline = rss_kib()
    hub = create_hub(config, EventBus())
    packets = [hub.subscribe_packets(cid, name="recorder") for cid in cameras]
    frames = (
        [hub.subscribe_frames(cid, name="analytics", fps=fps, max_width=1280) for cid in cameras]
        if fps
        else []
    )
    counts = {"packets": 0, "frames": 0}
    stop = threading.Event()

    def consume(queue: Any, key: str) -> None:
        # Like the recorder: take what arrived in one go, then rest 0.2 s, so the figure is the hub's cost
        # and not one consumer wake-up per packet (~0.05 % of a core per camera at 15 fps).
        while not stop.is_set():
            try:
                while queue.get(timeout=0) is not None:
                    counts[key] += 1
            except Closed:
                return
            stop.wait(CONSUMER_BATCH_SECONDS)

    consumers = [threading.Thread(target=consume, args=(s.queue, "packets"), daemon=True) for s in packets]
    consumers += [threading.Thread(target=consume, args=(s.queue, "frames"), daemon=True) for s in frames]
    hub.start()
    for thread in consumers:
        thread.start()
    time.sleep(WARMUP)
    online = sum(hub.status(cid).state == "online" for cid in cameras)
    start_cpu, start_wall = self_cpu(), time.monotonic()
    start_counts = dict(counts)
    time.sleep(seconds)
    cpu, wall = self_cpu() - start_cpu, time.monotonic() - start_wall
    rss = rss_kib()
    done = {key: counts[key] - start_counts[key] for key in counts}
    drops = sum(sum(hub.status(cid).streams["main"].drops.values()) for cid in cameras)
    stop.set()
    hub.stop()
    return {
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "rss_growth_kib": rss - baseline,
        "online": online,
        "packets": done["packets"],
        "frames": done["frames"],
        "drops": drops,
    }


def run_worker(urls: list[str], seconds: float, fps: float | None) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--seconds",
        str(seconds),
        "--worker-fps",
        str(fps or 0),
    ]
    out = subprocess.run([*command, "--urls", *urls], capture_output=True, text=True, check=True, cwd=REPO)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- the ffmpeg baselines ------------------------------------------------------------------------


def run_ffmpeg(urls: list[str], seconds: float, output: list[str]) -> dict[str, Any]:
    procs = [
        subprocess.Popen(
            [
                "ffmpeg",
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-rtsp_transport",
                "tcp",
                "-i",
                url,
                *output,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for url in urls
    ]
    try:
        time.sleep(WARMUP)
        alive = [p for p in procs if p.poll() is None]
        start = {p.pid: cpu_seconds(p.pid) for p in alive}
        start_wall = time.monotonic()
        time.sleep(seconds)
        wall = time.monotonic() - start_wall
        cpu = sum(cpu_seconds(p.pid) - start[p.pid] for p in alive if p.poll() is None)
        rss = [rss_kib(p.pid) for p in alive if p.poll() is None]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return {"cpu_seconds": cpu, "wall_seconds": wall, "rss_kib": rss, "online": len(rss)}


# --- the run -------------------------------------------------------------------------------------


def per_camera(result: dict[str, Any], cameras: int) -> dict[str, float]:
    cpu_pct = result["cpu_seconds"] / result["wall_seconds"] * 100 / cameras
    if "rss_kib" in result:
        mem = sum(result["rss_kib"]) / max(1, len(result["rss_kib"])) / 1024
    else:
        mem = result["rss_growth_kib"] / cameras / 1024
    return {"cpu_pct_per_camera": round(cpu_pct, 2), "mem_mib_per_camera": round(mem, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=float, default=5.0, help="decode rate of the frame subscribers")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--urls", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--worker-fps", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.urls, args.seconds, args.worker_fps or None)))
        return

    from tests.support.rtsp_fixtures import RtspServer, build_media

    media = build_media()
    mounts = {f"cam{i}": media[MOUNT] for i in range(args.cameras)}
    server = RtspServer(mounts, Path(tempfile.gettempdir()) / "wawai-bench-rtsp.log")
    server.start()
    try:
        urls = [server.url(name) for name in mounts]
        raw = {
            "wawai_demux": run_worker(urls, args.seconds, None),
            "wawai_decode": run_worker(urls, args.seconds, args.fps),
            "ffmpeg_copy": run_ffmpeg(urls, args.seconds, ["-c", "copy", "-f", "null", "-"]),
            "ffmpeg_decode": run_ffmpeg(
                urls, args.seconds, ["-vf", f"fps={args.fps:g},format=bgr24", "-f", "null", "-"]
            ),
        }
    finally:
        server.stop()
    figures = {
        name: {**per_camera(result, args.cameras), "online": result["online"]} for name, result in raw.items()
    }
    for name in ("wawai_demux", "wawai_decode"):
        figures[name].update({k: raw[name][k] for k in ("packets", "frames", "drops")})

    def ratio(a: str, b: str, key: str) -> float | None:
        return round(figures[a][key] / figures[b][key], 2) if figures[b][key] else None

    print(
        json.dumps(
            {
                "bench": "ingest",
                "cameras": args.cameras,
                "seconds": args.seconds,
                "stream": "1280x720 15 fps H.264, keyframe every 4 s, RTSP/TCP, gst-rtsp-server on loopback",
                "decode_fps": args.fps,
                "figures": figures,
                "ratios": {
                    "demux_cpu_wawai_vs_ffmpeg_copy": ratio(
                        "wawai_demux", "ffmpeg_copy", "cpu_pct_per_camera"
                    ),
                    "demux_mem_wawai_vs_ffmpeg_copy": ratio(
                        "wawai_demux", "ffmpeg_copy", "mem_mib_per_camera"
                    ),
                    "decode_cpu_wawai_vs_ffmpeg_decode": ratio(
                        "wawai_decode", "ffmpeg_decode", "cpu_pct_per_camera"
                    ),
                    "decode_mem_wawai_vs_ffmpeg_decode": ratio(
                        "wawai_decode", "ffmpeg_decode", "mem_mib_per_camera"
                    ),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
