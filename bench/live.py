"""Live view benchmark: server CPU per viewer and per camera, passthrough against aiortc's re-encoding path;
time to first frame (p50, p95) with 1 s and 4 s keyframe intervals, with and without the kept GOP.

Server: this process (ingest hub reading looping files at their own rate + the live relay, or for the
baseline aiortc's default path: MediaPlayer -> MediaRelay -> one libx264 encode per viewer). Viewers:
aiortc peers in a child process (their decoding is not counted). Prints one JSON line.

    unshare -n -- bash -c 'ip link set lo up && .venv/bin/python bench/live.py --seconds 8'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRelay

from wawai.assets import find_asset
from wawai.bus import EventBus
from wawai.config.model import WawaiConfig
from wawai.config.schema import CameraConfig, SiteConfig, StreamsSection, WebSection
from webui.live import LiveRelay, ice

SOURCE = "video/vtest_640x480_30s_h264.mp4"
FPS = 10


def make_clip(gop_seconds: int, cache: Path) -> Path:
    target = cache / f"vtest_gop{gop_seconds}s.mp4"
    if not target.exists():
        source = find_asset(SOURCE)
        if source is None:
            sys.exit(f"shared asset {SOURCE} not found")
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-an", "-c:v", "libx264",
             "-preset", "veryfast", "-profile:v", "baseline", "-bf", "0", "-g", str(FPS * gop_seconds),
             "-keyint_min", str(FPS * gop_seconds), "-sc_threshold", "0", "-r", str(FPS), str(target)],
            check=True,
        )
    return target


# --- viewers (child process) ---------------------------------------------------------------------


def viewers_main(conn: Connection) -> None:
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_viewers(conn))


async def _viewers(conn: Connection) -> None:
    ice.install_host_addresses([])
    loop = asyncio.get_running_loop()
    peers: list[dict[str, Any]] = []
    while True:
        command, arg = await loop.run_in_executor(None, conn.recv)
        if command == "open":  # arg: camera ids, one viewer each
            opened = []
            for camera in arg:
                peer = await _open_viewer(conn, loop, camera)
                peers.append(peer)
                opened.append(peer)
            end = time.monotonic() + 20
            while time.monotonic() < end and any(p["first"] is None for p in opened):
                await asyncio.sleep(0.02)
            conn.send([None if p["first"] is None else p["first"] - p["started"] for p in opened])
        elif command == "frames":
            conn.send(sum(p["frames"] for p in peers))
        elif command == "close":
            for peer in peers:
                peer["task"].cancel() if peer["task"] else None
                await peer["pc"].close()
            peers.clear()
            conn.send("closed")
        elif command == "exit":
            return


async def _open_viewer(conn: Connection, loop: asyncio.AbstractEventLoop, camera: str) -> dict[str, Any]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    peer: dict[str, Any] = {"pc": pc, "frames": 0, "first": None, "task": None, "started": time.monotonic()}

    async def read(track: Any) -> None:
        while True:
            try:
                await track.recv()
            except Exception:
                return
            peer["frames"] += 1
            if peer["first"] is None:
                peer["first"] = time.monotonic()

    @pc.on("track")
    def on_track(track: Any) -> None:
        peer["task"] = asyncio.ensure_future(read(track))

    await pc.setLocalDescription(await pc.createOffer())
    conn.send(("offer", camera, pc.localDescription.sdp))
    answer = await loop.run_in_executor(None, conn.recv)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return peer


# --- server (this process) -------------------------------------------------------------------------


class Reencoder:
    """aiortc's default path: decode once per camera (MediaPlayer), encode once per viewer (the sender)."""

    def __init__(self, clips: dict[str, Path]) -> None:
        self.players = {camera: MediaPlayer(str(path), loop=True) for camera, path in clips.items()}
        self.relay = MediaRelay()
        self.pcs: list[RTCPeerConnection] = []

    async def answer(self, camera: str, offer: str) -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)
        source = self.players[camera].video
        assert source is not None
        transceiver = pc.addTransceiver(self.relay.subscribe(source), direction="sendonly")
        codecs = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType in ("video/H264", "video/rtx")])
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def close_viewers(self) -> None:
        for pc in self.pcs:
            await pc.close()
        self.pcs.clear()

    def stop(self) -> None:
        for player in self.players.values():
            if player.video is not None:
                player.video.stop()


class Passthrough:
    def __init__(self, clips: dict[str, Path], *, instant_start: bool = True) -> None:
        import camera_ingest

        cameras = {
            camera: CameraConfig(id=camera, streams=StreamsSection(main=str(path), loop=True))
            for camera, path in clips.items()
        }
        config = WawaiConfig(directory=Path(tempfile.gettempdir()), site=SiteConfig(), cameras=cameras)
        self.hub = camera_ingest.create_hub(config, EventBus())
        self.hub.start()
        self.relay = LiveRelay(self.hub, WebSection(), instant_start=instant_start)
        self.sessions: list[str] = []

    async def answer(self, camera: str, offer: str) -> str:
        session = await self.relay.open_view(camera, "main", offer, "bench")
        self.sessions.append(session.id)
        return session.answer_sdp

    async def close_viewers(self) -> None:
        for session_id in self.sessions:
            await self.relay.close_view(session_id)
        self.sessions.clear()

    def stop(self) -> None:
        self.hub.stop()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def open_viewers(conn: Connection, server: Any, cameras: list[str]) -> list[float | None]:
    loop = asyncio.get_running_loop()
    conn.send(("open", cameras))
    for _ in cameras:
        _, camera, offer = await loop.run_in_executor(None, conn.recv)
        conn.send(await server.answer(camera, offer))
    result: list[float | None] = await loop.run_in_executor(None, conn.recv)
    return result


async def ask(conn: Connection, command: str) -> Any:
    conn.send((command, None))
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def measure_cpu(
    conn: Connection, server: Any, cameras: list[str], viewers: int, seconds: float
) -> dict[str, float]:
    await open_viewers(conn, server, [cameras[i % len(cameras)] for i in range(viewers)])
    await asyncio.sleep(2)  # settle: connections up, first bursts sent
    cpu0, wall0, frames0 = cpu_seconds(), time.monotonic(), await ask(conn, "frames")
    await asyncio.sleep(seconds)
    cpu1, wall1, frames1 = cpu_seconds(), time.monotonic(), await ask(conn, "frames")
    await ask(conn, "close")
    await server.close_viewers()
    core_pct = 100 * (cpu1 - cpu0) / (wall1 - wall0)
    return {
        "server_cpu_pct_of_core": round(core_pct, 1),
        "per_viewer_pct": round(core_pct / viewers, 2),
        "per_camera_pct": round(core_pct / len(cameras), 2),
        "fps_delivered_per_viewer": round((frames1 - frames0) / (wall1 - wall0) / viewers, 1),
    }


async def measure_first_frames(conn: Connection, server: Any, camera: str, samples: int, gop: float) -> dict:
    times = []
    for _ in range(samples):
        await asyncio.sleep(random.uniform(0, gop))  # land anywhere in the GOP
        first = (await open_viewers(conn, server, [camera]))[0]
        times.append(first if first is not None else float("inf"))
        await ask(conn, "close")
        await server.close_viewers()
    times.sort()
    return {
        "p50_ms": round(1000 * statistics.median(times)),
        "p95_ms": round(1000 * times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]),
        "samples": samples,
    }


async def run(args: argparse.Namespace, conn: Connection) -> dict[str, Any]:
    ice.install_host_addresses([])
    cache = Path(tempfile.gettempdir()) / "wawai-bench-live"
    cache.mkdir(exist_ok=True)
    clips = {"gop1": make_clip(1, cache), "gop4": make_clip(4, cache)}
    cameras = list(clips)
    result: dict[str, Any] = {"bench": "live", "stream": f"640x480 {FPS} fps H.264 baseline",
                              "cameras": len(cameras), "seconds": args.seconds, "cpu": {}, "first_frame": {}}

    passthrough = Passthrough(clips)
    await asyncio.sleep(2)
    idle0, wall0 = cpu_seconds(), time.monotonic()
    await asyncio.sleep(args.seconds / 2)
    idle = 100 * (cpu_seconds() - idle0) / (time.monotonic() - wall0)
    result["cpu"]["ingest_only_pct_of_core"] = round(idle, 1)
    result["cpu"]["passthrough"] = {
        str(n): await measure_cpu(conn, passthrough, cameras, n, args.seconds) for n in args.viewers
    }
    for camera, gop in (("gop1", 1.0), ("gop4", 4.0)):
        result["first_frame"][f"keyframe_{int(gop)}s"] = {
            "kept_gop": await measure_first_frames(conn, passthrough, camera, args.samples, gop)
        }
    await passthrough.relay.close()
    passthrough.stop()

    waiting = Passthrough(clips, instant_start=False)
    await asyncio.sleep(2)
    for camera, gop in (("gop1", 1.0), ("gop4", 4.0)):
        result["first_frame"][f"keyframe_{int(gop)}s"]["wait_for_keyframe"] = await measure_first_frames(
            conn, waiting, camera, args.samples, gop
        )
    await waiting.relay.close()
    waiting.stop()

    reencoder = Reencoder(clips)
    result["cpu"]["aiortc_reencode"] = {
        str(n): await measure_cpu(conn, reencoder, cameras, n, args.seconds) for n in args.viewers
    }
    reencoder.stop()

    result["ratios"] = {
        f"reencode_over_passthrough_cpu_{n}_viewers": round(
            result["cpu"]["aiortc_reencode"][str(n)]["server_cpu_pct_of_core"]
            / max(0.1, result["cpu"]["passthrough"][str(n)]["server_cpu_pct_of_core"]), 1)
        for n in args.viewers
    }
    for key, value in result["first_frame"].items():
        result["ratios"][f"first_frame_p50_wait_over_kept_{key}"] = round(
            value["wait_for_keyframe"]["p50_ms"] / max(1, value["kept_gop"]["p50_ms"]), 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measurement window per viewer count")
    parser.add_argument("--viewers", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--samples", type=int, default=8, help="first-frame samples per case")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    parent, child = mp.Pipe()
    process = mp.get_context("spawn").Process(target=viewers_main, args=(child,), daemon=True)
    process.start()
    try:
        result = asyncio.run(run(args, parent))
    finally:
        parent.send(("exit", None))
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
