"""Detection capacity: busy and quiet cameras on one node, all recorded, detection on, 4 live viewers.

    unshare -n -- bash -c 'ip link set lo up && .venv/bin/python bench/capacity.py --busy 8 --quiet 24'
    ... bench/capacity.py --busy 8 --quiet 24 --model /path/to/yolox-nano-int8.yaml   # the INT8 copy
    ... bench/capacity.py --sweep --seconds 150        # B = 2, 4, 6... with Q = 3 B, until one fails

Cameras, all through the real RTSP server (one RTSP session each), detect 5 fps:
    busy   the walkway clip (people moving in every frame)
    quiet  the indoor room empty and still with sensor noise; every ``--walk-every`` seconds (120) one
           person walks in, stands in the middle (an intrusion zone) and leaves (bench/capacity_media.py).
           The quiet cameras are spread over the GOPs of ``--gop`` (1,2,4: a third each) and their
           walkers over the cycle, so wake-up is measured per GOP in the same loaded run.
The node is the real one (ingest hub, recorder, analytics, web app with WHEP) in this process; 4 WHEP
viewers (aiortc, in a child process: their decoding is not counted) watch the first busy cameras.

Wake-up: the walker's first moving frame (found once by the motion gate on every frame of the footage)
reaching the node -> the end of the analysis that first tracks a person on that camera. Only walks that
found the camera quiet count. Incident latency: the triggering frame's capture time -> the incident row
(every camera), and for quiet cameras the walker's first frame -> the incident row.

Prints one JSON line: node CPU (share of one core; the RTSP server and the viewers are other processes),
the share of the wanted detect rate reached on busy cameras and on quiet cameras while active, motion
checks per second on quiet cameras while quiet, recorder and analytics drops, wake-up p50/p95 per GOP,
incident latency p50/p95, and the raw onnxruntime fps of the same model in the same run (the baseline).
``ok``: busy cameras held >= 95 % of their detect rate and the recorder dropped nothing. ``--sweep`` runs
B = 2, 4, 6 ... (Q = ``--ratio`` x B) until a step is not ok and reports the largest ok B + Q.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
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

from capacity_media import CODE_MASK, MIDDLE, QuietFootage, quiet_footage  # noqa: E402
from capacity_watch import QuietWatch  # noqa: E402
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

DETECT_FPS = 5.0
WARMUP_SECONDS = 8.0  # connect, first keyframes, viewers' first frames
PHASES = 4  # walker offsets per GOP


def model_source(model: str) -> tuple[str, list[str]]:
    """``--model``: a manifest name in models/, or the path of a manifest (``wawai model quantize``'s)."""
    path = Path(model)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            sys.exit(f"--model {model}: no such manifest")
        return path.stem, [str(path.resolve().parent), str(REPO / "models")]
    return model, [str(REPO / "models")]


def quiet_camera(url: str) -> dict[str, Any]:
    return {
        "group": "bench", "streams": {"main": url, "stall_seconds": 5},
        "detect": {"fps": DETECT_FPS, "quiet_after": 2, "motion_masks": [[list(p) for p in CODE_MASK]]},
        "zones": [{"name": "middle", "polygon": [list(p) for p in MIDDLE]}],
        "rules": [{"name": "entry", "type": "intrusion", "zone": "middle", "objects": ["person"],
                   "cooldown": 0}],
    }


def busy_camera(url: str) -> dict[str, Any]:
    return {"group": "bench", "streams": {"main": url, "stall_seconds": 5}, "detect": {"fps": DETECT_FPS}}


class Node:
    """The node's parts as `wawai run` wires them: hub, recorder, analytics, and the web app."""

    def __init__(self, root: Path, cameras: dict[str, dict[str, Any]], model: str) -> None:
        name, dirs = model_source(model)
        site = yaml.safe_dump({
            "storage": {"path": str(root / "data"), "min_free_bytes": 0},
            "detector": {"model": name, "model_dirs": dirs},
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
        self.server = LiveServer(create_app(self.ctx))

    def start(self) -> None:
        self.server.start()
        self.hub.start()
        self.recorder.start()
        self.analytics.start()

    def stop(self) -> None:
        self.analytics.stop()
        self.recorder.stop()
        self.hub.stop()
        self.server.stop()
        self.sessions.kw["bind"].dispose()

    def incidents(self) -> list[Any]:
        from sqlalchemy import select

        from wawai.db.incidents import Incident

        with self.sessions() as db:
            return list(db.scalars(select(Incident)).all())


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


def mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


def raw_fps(model: str, threads: int) -> float:
    """The baseline: the same model's onnxruntime session alone on the walkway frames, in this run."""
    import av

    name, dirs = model_source(model)
    detector = Detector(load_manifest(name, dirs, REPO), threads=threads)
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


def plan_quiet(footage: list[QuietFootage], count: int) -> list[tuple[QuietFootage, float]]:
    """Camera i: GOP i mod len(footage), and the walker offsets of that GOP in turn."""
    plan = []
    for i in range(count):
        clips = footage[i % len(footage)]
        offsets = sorted(clips.variants)
        plan.append((clips, offsets[(i // len(footage)) % len(offsets)]))
    return plan


def capacity(busy: int, quiet: int, footage: list[QuietFootage], args: argparse.Namespace) -> dict[str, Any]:
    media = build_media()
    plan = plan_quiet(footage, quiet)
    mounts: dict[str, Path] = {"busy": media["vtest"]}
    for clips, offset in plan:
        mounts[f"quiet-g{clips.gop}-at{int(offset)}"] = clips.variants[offset]
    server = RtspServer(mounts, Path(tempfile.gettempdir()) / "wawai-bench-capacity-rtsp.log")
    server.start()
    parent, child = mp.Pipe()
    viewers = mp.get_context("spawn").Process(target=viewers_main, args=(child,), daemon=True)
    viewers.start()
    try:
        with tempfile.TemporaryDirectory(prefix="wawai-bench-capacity-") as tmp:
            # A query string makes each camera a URL of its own: one RTSP session per camera.
            cameras = {f"busy-{i}": busy_camera(f"{server.url('busy')}?camera={i}") for i in range(busy)}
            for i, (clips, offset) in enumerate(plan):
                url = server.url(f"quiet-g{clips.gop}-at{int(offset)}")
                cameras[f"quiet-{i}"] = quiet_camera(f"{url}?camera={i}")
            node = Node(Path(tmp), cameras, args.model)
            with node.sessions() as db:
                user = accounts.create_user(db, "bench", "bench password 123", "admin")
                token = accounts.create_token(db, user)
                db.commit()
            pipelines = node.analytics.pipelines
            node.start()
            try:
                watches = {f"quiet-{i}": QuietWatch(pipelines[f"quiet-{i}"], clips)
                           for i, (clips, _) in enumerate(plan)}
                base = f"http://127.0.0.1:{node.server.port}"
                watched = [c for c in cameras if c.startswith("busy-")][:args.viewers]
                watched += [c for c in cameras if c not in watched][:args.viewers - len(watched)]
                time.sleep(WARMUP_SECONDS / 2)
                first_frames = open_viewers(parent, base, token, watched)
                time.sleep(WARMUP_SECONDS / 2)
                result = measure(node, watches, args.seconds)
                result["viewers_first_frame_s"] = first_frames
            finally:
                parent.send(("close", None))
                parent.recv()
                node.stop()
    finally:
        parent.send(("exit", None))
        viewers.join(timeout=10)
        server.stop()
    return {"busy": busy, "quiet": quiet, **result}


def measure(node: Node, watches: dict[str, QuietWatch], seconds: float) -> dict[str, Any]:
    pipelines = node.analytics.pipelines
    before = {cid: (p.stats.frames, p.stats.frame_drops) for cid, p in pipelines.items()}
    recorded0 = {cid: _recorder_drops(node, cid) for cid in pipelines}
    cpu0, wall0, started = cpu_seconds(), time.monotonic(), time.time()
    load0 = os.getloadavg()[0]
    quiet_seconds = dict.fromkeys(watches, 0.0)
    active_rates: list[float] = []
    while time.monotonic() < wall0 + seconds:
        time.sleep(1.0)
        for cid in watches:
            status = pipelines[cid].status()
            if status["mode"] == "keyframes":
                quiet_seconds[cid] += 1.0
            elif status["detect_rate"]["fraction"] is not None:
                active_rates.append(status["detect_rate"]["fraction"])
    cpu1, wall1, ended = cpu_seconds(), time.monotonic(), time.time()
    elapsed = wall1 - wall0
    busy_share = [(pipelines[cid].stats.frames - before[cid][0]) / elapsed / DETECT_FPS
                  for cid in pipelines if cid.startswith("busy-")]
    analytics_drops = sum(p.stats.frame_drops - before[cid][1] for cid, p in pipelines.items())
    recorder_drops = sum(_recorder_drops(node, cid) - recorded0[cid] for cid in pipelines)
    incidents = node.incidents()
    latencies = [(i.created_at - i.started_at).total_seconds() for i in incidents
                 if i.created_at and i.started_at and started <= i.started_at.timestamp() < ended]
    per_gop: dict[int, dict[str, list[float]]] = {}
    for cid, watch in watches.items():
        figures = per_gop.setdefault(watch.footage.gop, {"wake": [], "to_incident": [], "checks": [],
                                                          "walks": [], "missed": [], "not_quiet": []})
        if quiet_seconds[cid]:
            figures["checks"].append(watch.quiet_checks(started, ended) / quiet_seconds[cid])
        created = sorted(i.created_at.timestamp() for i in incidents if i.camera_id == cid and i.created_at)
        for walk in watch.walks(started, ended - 25):  # walks that had time to end
            figures["walks"].append(1)
            if not walk["quiet_before"]:
                figures["not_quiet"].append(1)
                continue
            if walk["wake_s"] is None:
                figures["missed"].append(1)
                continue
            figures["wake"].append(walk["wake_s"])
            stored = next((at for at in created if at >= walk["at"]), None)
            if stored is not None and stored - walk["at"] < 25:
                figures["to_incident"].append(stored - walk["at"])
    return {
        "seconds": round(elapsed, 1),
        "load_avg_during": round((load0 + os.getloadavg()[0]) / 2, 2),
        "node_cpu_pct_of_one_core": round((cpu1 - cpu0) / elapsed * 100, 1),
        "node_cpu_pct_per_camera": round((cpu1 - cpu0) / elapsed * 100 / max(1, len(pipelines)), 2),
        "busy_detect_rate_share_min": round(min(busy_share), 3) if busy_share else None,
        "busy_detect_rate_share_mean": mean(busy_share),
        "quiet_active_detect_rate_share_mean": mean(active_rates),
        "quiet_motion_checks_per_s_per_camera": mean([c for f in per_gop.values() for c in f["checks"]]),
        "analytics_frame_drops": analytics_drops,
        "recorder_drops": recorder_drops,
        "incident_latency_p50_s": percentile(latencies, 0.5),
        "incident_latency_p95_s": percentile(latencies, 0.95),
        "per_gop": [
            {"gop_s": gop, "walks": len(f["walks"]), "walks_not_quiet_before": len(f["not_quiet"]),
             "walks_missed": len(f["missed"]),
             "motion_checks_per_s_while_quiet": mean(f["checks"]),
             "wake_p50_s": percentile(f["wake"], 0.5), "wake_p95_s": percentile(f["wake"], 0.95),
             "walker_to_incident_p50_s": percentile(f["to_incident"], 0.5),
             "walker_to_incident_p95_s": percentile(f["to_incident"], 0.95)}
            for gop, f in sorted(per_gop.items())
        ],
        "ok": bool(busy_share) and min(busy_share) >= 0.95 and recorder_drops == 0,
    }


def _recorder_drops(node: Node, camera_id: str) -> int:
    return int(node.recorder.camera_status(camera_id).get("dropped_packets", 0) or 0)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--busy", type=int, default=8)
    parser.add_argument("--quiet", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=300.0, help="measured seconds (per sweep step)")
    parser.add_argument("--model", default="yolox-nano", help="a name in models/, or a manifest path")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads of the raw baseline")
    parser.add_argument("--gop", default="1,2,4", help="keyframe intervals (s) of the quiet streams")
    parser.add_argument("--walk-every", type=float, default=120.0, help="seconds between walkers")
    parser.add_argument("--viewers", type=int, default=4)
    parser.add_argument("--sweep", action="store_true", help="B = 2, 4, ..., Q = RATIO x B")
    parser.add_argument("--ratio", type=int, default=3, help="quiet cameras per busy one in --sweep")
    args = parser.parse_args()
    began = time.monotonic()
    cache = Path(tempfile.gettempdir()) / "wawai-bench-capacity-media"
    cache.mkdir(exist_ok=True)
    gops = [int(g) for g in args.gop.split(",") if g]
    footage = [quiet_footage(cache, gop, args.walk_every, args.seconds + 60, PHASES,
                             shift=j * args.walk_every / PHASES / len(gops)) for j, gop in enumerate(gops)]
    result: dict[str, Any] = {"bench": "capacity", "model": args.model,
                              "load_avg_at_start": round(os.getloadavg()[0], 2)}
    baseline = raw_fps(args.model, args.threads)
    result["baseline_raw_onnxruntime_fps"] = round(baseline, 1)
    if not args.sweep:
        result["capacity"] = capacity(args.busy, args.quiet, footage, args)
        result["ok"] = result["capacity"]["ok"]
        wanted = args.busy * DETECT_FPS
        result["busy_detect_fps_wanted_vs_raw_fps"] = round(wanted / baseline, 3)
    else:
        steps = []
        for busy in range(2, 41, 2):
            step = capacity(busy, busy * args.ratio, footage, args)
            steps.append(step)
            if not step["ok"]:
                break
        passed = [s for s in steps if s["ok"]]
        result["steps"] = steps
        result["largest_ok"] = ({"busy": passed[-1]["busy"], "quiet": passed[-1]["quiet"],
                                 "cameras": passed[-1]["busy"] + passed[-1]["quiet"]} if passed else None)
        result["ok"] = bool(passed)
    result["bench_wall_s"] = round(time.monotonic() - began, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
