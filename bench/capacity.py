"""Detection capacity: busy and quiet cameras on one node, all recorded, detection on, 4 live viewers.

    unshare -n -- bash -c 'ip link set lo up && .venv/bin/python bench/capacity.py --busy 8 --quiet 24'

Cameras, all through the real RTSP server (one RTSP session each):
    busy   the walkway clip (people moving in every frame), detect 5 fps
    quiet  a still, empty room from the indoor clip with sensor noise (ffmpeg ``noise``), then 15.5 s of
           the real clip in which one person walks in, stands, and leaves; looped (GOP 2 s, 10 fps)
The node is the real one (ingest hub, recorder, analytics, web app with WHEP) in this process; 4 WHEP
viewers (aiortc, in a child process: their decoding is not counted) watch the first busy cameras.

Wake-up (first moving frame of the walker -> first detection of a person on that camera) depends on
the keyframe interval, so it is measured separately for 1, 2 and 4 s GOPs on one quiet camera each.

Prints one JSON line: node CPU (share of one core), the share of the wanted detect rate reached on busy
cameras and on quiet cameras while they are active, motion checks per second on quiet cameras,
recorder drops, wake-up p50/p95 per GOP, incident latency p50/p95, and the raw onnxruntime fps of the
same model in the same run (the baseline). ``ok`` says whether busy cameras held >= 95 % of their detect
rate with no frame dropped by the recorder.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from live import viewers_main  # noqa: E402  (the WHEP viewers of bench/live.py)

import camera_ingest  # noqa: E402
import recorder  # noqa: E402
from analytics.detector import Detector  # noqa: E402
from analytics.manifest import load_manifest  # noqa: E402
from analytics.stage import AnalyticsStage  # noqa: E402
from tests.support.app_fixtures import LiveServer, write_config  # noqa: E402
from tests.support.rtsp_fixtures import RtspServer, build_media  # noqa: E402
from wawai import accounts  # noqa: E402
from wawai.assets import find_asset  # noqa: E402
from wawai.bus import EventBus  # noqa: E402
from wawai.config.loader import load_config  # noqa: E402
from wawai.db.base import make_sessionmaker  # noqa: E402
from wawai.db.migrate import upgrade  # noqa: E402
from wawai.media import BGRImage  # noqa: E402
from wawai.stage import STAGES_SERVICE, StageContext  # noqa: E402
from webui.app import create_app  # noqa: E402

PEOPLE = "video/intel_one-by-one-person_768x432_60s_h264.mp4"
STILL_AT = 3.0  # the room is empty at 3 s
WALK_FROM, WALK_SECONDS = 5.5, 15.5  # the first person walks in at 6.5 s and is gone by 20 s
WALKER_AT = 1.0  # seconds after WALK_FROM: the walker's first frame
MIDDLE = [[0.40, 0.0], [0.75, 0.0], [0.75, 1.0], [0.40, 1.0]]  # where the walker stops
DETECT_FPS = 5.0


def quiet_clip(cache: Path, gop_seconds: int, still_seconds: float) -> Path:
    """The quiet scene (made once, cached): still room + noise, then the walk; H.264 baseline, 10 fps."""
    target = cache / f"quiet_gop{gop_seconds}_{int(still_seconds)}s.mp4"
    if target.exists():
        return target
    source = find_asset(PEOPLE)
    if source is None:
        sys.exit(f"shared asset {PEOPLE} not found")
    still = cache / "still.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(STILL_AT), "-i", str(source),
                    "-frames:v", "1", str(still)], check=True)
    graph = ("[0:v]fps=10,format=yuv420p,setsar=1[a];[1:v]fps=10,format=yuv420p,setsar=1[b];"
             "[a][b]concat=n=2:v=1[c];[c]noise=alls=6:allf=t[v]")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-framerate", "10", "-t", str(still_seconds),
         "-i", str(still), "-ss", str(WALK_FROM), "-t", str(WALK_SECONDS), "-i", str(source),
         "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast",
         "-profile:v", "baseline", "-bf", "0", "-g", str(10 * gop_seconds), "-keyint_min",
         str(10 * gop_seconds), "-sc_threshold", "0", "-threads", "1", str(target)],
        check=True,
    )
    return target


def quiet_camera(url: str, *, loop: bool = False) -> dict[str, Any]:
    return {
        "group": "bench", "streams": {"main": url, "stall_seconds": 5, **({"loop": True} if loop else {})},
        "detect": {"fps": DETECT_FPS, "quiet_after": 2},
        "zones": [{"name": "middle", "polygon": MIDDLE}],
        "rules": [{"name": "entry", "type": "intrusion", "zone": "middle", "objects": ["person"],
                   "cooldown": 0}],
    }


def busy_camera(url: str) -> dict[str, Any]:
    return {"group": "bench", "streams": {"main": url, "stall_seconds": 5}, "detect": {"fps": DETECT_FPS}}


class Node:
    """The node's parts as `wawai run` wires them: hub, recorder, analytics, and the web app."""

    def __init__(self, root: Path, cameras: dict[str, dict[str, Any]], model: str, web: bool) -> None:
        site = yaml.safe_dump({
            "storage": {"path": str(root / "data"), "min_free_bytes": 0},
            "detector": {"model": model, "model_dirs": [str(REPO / "models")]},
            "web": {"ice_hosts": ["127.0.0.1"]},
        })
        docs = {f"{cid}.yaml": yaml.safe_dump(doc) for cid, doc in cameras.items()}
        config = load_config(write_config(root, cameras=docs, site=site))
        upgrade(config.database_url)
        self.sessions = make_sessionmaker(config.database_url)
        self.bus = EventBus()
        self.hub = camera_ingest.create_hub(config, self.bus)
        self.ctx = StageContext(config=config, hub=self.hub, bus=self.bus, sessions=self.sessions)
        self.recorder = recorder.create_stage(self.ctx)
        self.analytics = AnalyticsStage(self.ctx)
        self.ctx.services[STAGES_SERVICE] = [self.recorder, self.analytics]
        self.server = LiveServer(create_app(self.ctx)) if web else None

    def start(self) -> None:
        if self.server is not None:
            self.server.start()
        self.hub.start()
        self.recorder.start()
        self.analytics.start()

    def stop(self) -> None:
        self.analytics.stop()
        self.recorder.stop()
        self.hub.stop()
        if self.server is not None:
            self.server.stop()
        self.sessions.kw["bind"].dispose()


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


def wake_up(cache: Path, gop: int, model: str, loops: int) -> dict[str, Any]:
    """One quiet camera read from the file (paced, looped): first walker frame -> first person found."""
    still = 12.0
    clip = quiet_clip(cache, gop, still)
    period = still + WALK_SECONDS
    with tempfile.TemporaryDirectory(prefix="wawai-bench-wake-") as tmp:
        node = Node(Path(tmp), {"quiet": quiet_camera(str(clip), loop=True)}, model, web=False)
        node.start()
        pipeline = node.analytics.pipelines["quiet"]
        seen: list[tuple[float, float, bool, int]] = []  # pts, wallclock, quiet before, people tracked
        process = pipeline.process

        def watched(frame: Any) -> Any:
            was_quiet = pipeline.quiet
            events = process(frame)
            people = sum(1 for t in pipeline.tracker.tracks if t.label == "person")
            seen.append((frame.pts_seconds, frame.wallclock, was_quiet, people))
            return events

        pipeline.process = watched  # type: ignore[method-assign]
        try:
            time.sleep(period * loops + 3)
        finally:
            node.stop()
    if not seen:
        return {"gop_s": gop, "walks": 0}
    start_pts = seen[0][0] - seen[0][0] % period
    wakes: list[float] = []
    quiet_before: list[bool] = []
    for k in range(loops + 1):
        walker_pts = start_pts + k * period + still + WALKER_AT
        before = [s for s in seen if s[0] <= walker_pts]
        found = next((s for s in seen if s[0] >= walker_pts and s[3] > 0), None)
        if not before or found is None or found[0] > walker_pts + WALK_SECONDS:
            continue
        pts0, wall0 = before[-1][0], before[-1][1]
        walker_wall = wall0 + (walker_pts - pts0)  # paced at real time
        wakes.append(found[1] - walker_wall)
        quiet_before.append(before[-1][2])
    return {"gop_s": gop, "walks": len(wakes), "quiet_before_walk": sum(quiet_before),
            "wake_p50_s": percentile(wakes, 0.5), "wake_p95_s": percentile(wakes, 0.95)}


def raw_fps(model: str, threads: int) -> float:
    import av

    detector = Detector(load_manifest(model, [str(REPO / "models")], REPO), threads=threads)
    source = find_asset("video/vtest_640x480_h264.mp4")
    assert source is not None
    with av.open(str(source)) as container:
        decoded = enumerate(container.decode(video=0))
        frames = [cast(BGRImage, f.to_ndarray(format="bgr24")) for i, f in decoded if i < 60]
    detector.detect(frames[0], 0.5)
    started = time.perf_counter()
    for frame in frames:
        detector.detect(frame, 0.5)
    return len(frames) / (time.perf_counter() - started)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def open_viewers(conn: Any, base: str, token: str, cameras: list[str]) -> list[float | None]:
    conn.send(("open", cameras))
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=20) as client:
        for _ in cameras:
            _, camera, offer = conn.recv()
            answer = client.post(f"/api/live/{camera}/whep", content=offer,
                                 headers={"Content-Type": "application/sdp"})
            answer.raise_for_status()
            conn.send(answer.text)
    result: list[float | None] = conn.recv()
    return result


def capacity(media: dict[str, Path], cache: Path, args: argparse.Namespace) -> dict[str, Any]:
    quiet = quiet_clip(cache, 2, 150.0)  # a walker every 165.5 s
    server = RtspServer({"busy": media["vtest"], "quiet": quiet},
                        Path(tempfile.gettempdir()) / "wawai-bench-capacity-rtsp.log")
    server.start()
    parent, child = mp.Pipe()
    viewers = mp.get_context("spawn").Process(target=viewers_main, args=(child,), daemon=True)
    viewers.start()
    try:
        with tempfile.TemporaryDirectory(prefix="wawai-bench-capacity-") as tmp:
            # A query string makes each camera a URL of its own: one RTSP session per camera.
            cameras = {f"busy-{i}": busy_camera(f"{server.url('busy')}?camera={i}") for i in range(args.busy)}
            cameras |= {f"quiet-{i}": quiet_camera(f"{server.url('quiet')}?camera={i}")
                        for i in range(args.quiet)}
            node = Node(Path(tmp), cameras, args.model, web=True)
            with node.sessions() as db:
                user = accounts.create_user(db, "bench", "bench password 123", "admin")
                token = accounts.create_token(db, user)
                db.commit()
            node.start()
            try:
                assert node.server is not None
                base = f"http://127.0.0.1:{node.server.port}"
                watched = [c for c in cameras if c.startswith("busy-")][:4] or list(cameras)[:4]
                time.sleep(5.0)  # connect, first keyframes
                first_frames = open_viewers(parent, base, token, watched)
                time.sleep(3.0)
                pipelines = node.analytics.pipelines
                before = {cid: (p.stats.frames, p.stats.frame_drops) for cid, p in pipelines.items()}
                cpu0, wall0 = cpu_seconds(), time.monotonic()
                quiet_frames = {cid: 0 for cid in pipelines if cid.startswith("quiet-")}
                active_rates: list[float] = []
                end = wall0 + args.seconds
                while time.monotonic() < end:
                    time.sleep(1.0)
                    for cid in quiet_frames:
                        status = pipelines[cid].status()
                        if status["mode"] == "full" and status["detect_rate"]["fraction"] is not None:
                            active_rates.append(status["detect_rate"]["fraction"])
                cpu1, wall1 = cpu_seconds(), time.monotonic()
                seconds = wall1 - wall0
                busy_share: list[float] = []
                drops = 0
                for cid, pipeline in pipelines.items():
                    frames0, drops0 = before[cid]
                    analysed = pipeline.stats.frames - frames0
                    drops += pipeline.stats.frame_drops - drops0
                    if cid.startswith("busy-"):
                        busy_share.append(analysed / seconds / DETECT_FPS)
                    else:
                        quiet_frames[cid] = analysed
                recorder_drops = sum(
                    int(node.recorder.camera_status(cid).get("dropped_packets", 0) or 0) for cid in cameras
                )
                latencies = [
                    (i.created_at - i.started_at).total_seconds()
                    for i in _incidents(node) if i.created_at and i.started_at
                ]
            finally:
                parent.send(("close", None))
                parent.recv()
                node.stop()
    finally:
        parent.send(("exit", None))
        viewers.join(timeout=10)
        server.stop()
    quiet_checks = sum(quiet_frames.values()) / seconds / max(1, len(quiet_frames))
    return {
        "busy": args.busy, "quiet": args.quiet, "seconds": round(seconds, 1),
        "node_cpu_pct_of_one_core": round((cpu1 - cpu0) / seconds * 100, 1),
        "busy_detect_rate_share_min": round(min(busy_share), 3) if busy_share else None,
        "busy_detect_rate_share_mean": round(statistics.fmean(busy_share), 3) if busy_share else None,
        "quiet_active_detect_rate_share_mean":
            round(statistics.fmean(active_rates), 3) if active_rates else None,
        "quiet_motion_checks_per_s_per_camera": round(quiet_checks, 3),
        "analytics_frame_drops": drops, "recorder_drops": recorder_drops,
        "viewers_first_frame_s": first_frames,
        "incident_latency_p50_s": percentile(latencies, 0.5),
        "incident_latency_p95_s": percentile(latencies, 0.95),
        "ok": bool(busy_share) and min(busy_share) >= 0.95 and recorder_drops == 0,
    }


def _incidents(node: Node) -> list[Any]:
    from sqlalchemy import select

    from wawai.db.incidents import Incident

    with node.sessions() as db:
        return list(db.scalars(select(Incident)).all())


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--busy", type=int, default=8)
    parser.add_argument("--quiet", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--model", default="yolox-nano")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--wake-loops", type=int, default=2, help="walks per GOP in the wake-up runs")
    parser.add_argument("--gops", default="1,2,4")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "wawai-bench-capacity-media"
    cache.mkdir(exist_ok=True)
    result: dict[str, Any] = {"bench": "capacity", "model": args.model,
                              "load_avg_at_start": os.getloadavg()[0]}
    result["baseline_raw_onnxruntime_fps"] = round(raw_fps(args.model, args.threads), 1)
    gops = [int(g) for g in args.gops.split(",") if g]
    result["wake_up"] = [wake_up(cache, gop, args.model, args.wake_loops) for gop in gops]
    result["capacity"] = capacity(build_media(), cache, args)
    result["ok"] = result["capacity"]["ok"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
