"""Cluster coordination at city scale: the real coordination code with simulated cameras, on loopback.

A throwaway PostgreSQL and ``nats-server -js`` are started; ``--nodes`` node processes each run the real
Coordinator (leases, placement, claims, fencing) and NatsBus. Cameras are simulated (no media): each
running camera writes one index row (a recording segment) every ``--segment-seconds`` and publishes a
``camera.status`` heartbeat every ``--status-seconds``, the rates of a recording camera.

Two phases of ``--window`` seconds each, same cameras, same rates, same node processes count:
- ``baseline_static``: the named baseline. Cameras are split once by the same placement function, rows
  written without fences, no leases, no claims: what the same rows cost with no coordination at all.
- ``coordinated``: the cluster. Then two nodes are killed (kill -9) and the time until every camera has
  a live owner again is measured from the database.

Figures: DB writes/s (rows inserted+updated, from pg_stat_user_tables), NATS messages/s (from the
server's /varz), node CPU per 1000 cameras (user+system of the node processes, in % of one core), the
same for PostgreSQL's processes, and the ratios coordinated / baseline. After the run the index is
checked: no camera may hold two nodes' segments overlapping in time (fencing at work).

    .venv/bin/python bench/cluster_sim.py [--cameras 1000] [--nodes 10] [--window 30] [--lease 15]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tests.support.processes import cpu_seconds, stop_processes
from wawai.cluster import ownership
from wawai.cluster.coordinator import Coordinator, CoordinatorThread
from wawai.cluster.fencing import Fence, StaleOwnership
from wawai.cluster.leases import NodeInfo
from wawai.cluster.nats_bus import NatsBus
from wawai.cluster.placement import place
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.recordings import RecordingSegment, add_index_rows

if TYPE_CHECKING:  # the node processes load only the coordination code, not the test servers
    from tests.support.nats_server import NatsServer
    from tests.support.postgres import PostgresServer

log = logging.getLogger("bench.cluster_sim")


def camera_ids(count: int) -> list[str]:
    return [f"cam-{n:04d}" for n in range(count)]


def node_names(count: int) -> list[str]:
    return [f"node-{n:02d}" for n in range(count)]


# --- a node process ------------------------------------------------------------------------------


@dataclass
class SimCamera:
    fence: Fence | None
    segment_start: float
    next_segment: float
    next_status: float


@dataclass
class SimNode:
    name: str
    mode: str
    sessions: sessionmaker[Session]
    bus: NatsBus
    segment_seconds: float
    status_seconds: float
    cameras: dict[str, SimCamera] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rows = 0
    refused = 0
    failed = 0
    sequence = 0

    def start(self, fence: Fence | None, camera_id: str | None = None) -> None:
        now = time.time()
        camera = camera_id or (fence.camera_id if fence else "")
        with self.lock:  # spread the first writes over the interval, as real cameras start at random
            self.cameras[camera] = SimCamera(fence, now, now + random.uniform(0, self.segment_seconds),
                                             now + random.uniform(0, self.status_seconds))

    def stop(self, camera_id: str, _reason: str) -> None:
        with self.lock:
            self.cameras.pop(camera_id, None)

    def tick(self) -> None:
        now = time.time()
        with self.lock:
            due = [(cid, cam) for cid, cam in self.cameras.items() if cam.next_segment <= now]
            status_due = [cid for cid, cam in self.cameras.items() if cam.next_status <= now]
            for cid in status_due:
                self.cameras[cid].next_status = now + self.status_seconds
        for camera_id in status_due:
            self.bus.publish({"type": "camera.status", "camera_id": camera_id, "state": "online",
                              "node": self.name, "at": now})
        for camera_id, camera in due:
            self._write(camera_id, camera, now)

    def _write(self, camera_id: str, camera: SimCamera, now: float) -> None:
        self.sequence += 1
        row = RecordingSegment(camera_id=camera_id, start=camera.segment_start, end=now,
                               duration=now - camera.segment_start, bytes=2_500_000, codec="h264",
                               path=f"recordings/{camera_id}/{self.name}/{self.mode}-{self.sequence}.mp4")
        try:
            with self.sessions() as session:
                add_index_rows(session, [row], camera.fence)
                session.commit()
        except StaleOwnership:
            self.refused += 1
            self.stop(camera_id, "refused")
            return
        except SQLAlchemyError as exc:  # a recorder keeps the row and retries; the simulation counts it
            self.failed += 1
            log.warning("index row for %s not written: %s", camera_id, exc.__class__.__name__)
            return
        self.rows += 1
        camera.segment_start = now
        camera.next_segment = now + self.segment_seconds


def run_node(args: argparse.Namespace) -> int:
    sessions = make_sessionmaker(args.db)
    bus = NatsBus(args.nats, args.node)
    bus.start(wait=30)
    node = SimNode(args.node, args.mode, sessions, bus, args.segment_seconds, args.status_seconds)
    cameras = camera_ids(args.cameras)
    runner: CoordinatorThread | None = None
    if args.mode == "baseline":
        placed = place(cameras, dict.fromkeys(node_names(args.nodes), args.cameras))
        for camera_id in cameras:
            if placed[camera_id] == args.node:
                node.start(None, camera_id)
    else:
        coordinator = Coordinator(sessions, NodeInfo(args.node, ("record", "web"), args.capacity), cameras,
                                  lease_seconds=args.lease, on_start=node.start, on_stop=node.stop)
        runner = CoordinatorThread(coordinator)
        runner.start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print(json.dumps({"ready": args.node}), flush=True)
    while not stopping.wait(0.1):
        node.tick()
    if runner is not None:
        runner.stop(leave=True)
    bus.stop()
    print(json.dumps({"node": args.node, "rows": node.rows, "refused": node.refused, "failed": node.failed}),
          flush=True)
    return 0


# --- the benchmark ---------------------------------------------------------------------------------


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


class Meter:
    """CPU of the node processes and of PostgreSQL, DB row writes and NATS messages, over a window."""

    def __init__(self, sessions: sessionmaker[Session], postgres: PostgresServer, nats: NatsServer) -> None:
        self.sessions, self.postgres, self.nats = sessions, postgres, nats

    def db_writes(self) -> int:
        with self.sessions() as session:
            value = session.execute(text("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                                         "FROM pg_stat_user_tables")).scalar()
        return int(value or 0)

    def nats_messages(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.nats.monitor_port}/varz", timeout=5) as reply:
            return int(json.load(reply)["in_msgs"])

    def postgres_cpu(self) -> float:
        postmaster = self.postgres.pid
        if postmaster is None:
            return 0.0
        return cpu_seconds(postmaster) + sum(cpu_seconds(pid) for pid in children_of(postmaster))

    def measure(self, nodes: list[subprocess.Popen[bytes]], window: float, cameras: int) -> dict[str, float]:
        time.sleep(1.0)  # pg_stat counters are flushed by the backends about every second
        start = (time.monotonic(), sum(cpu_seconds(p.pid) for p in nodes), self.postgres_cpu(),
                 self.db_writes(), self.nats_messages())
        time.sleep(window)
        time.sleep(1.0)
        end = (time.monotonic(), sum(cpu_seconds(p.pid) for p in nodes), self.postgres_cpu(),
               self.db_writes(), self.nats_messages())
        elapsed = end[0] - start[0]
        per_1000 = 1000 / cameras * 100  # % of one core per 1000 cameras
        return {
            "db_writes_per_s": round((end[3] - start[3]) / elapsed, 1),
            "nats_msgs_per_s": round((end[4] - start[4]) / elapsed, 1),
            "node_cpu_pct_per_1000_cameras": round((end[1] - start[1]) / elapsed * per_1000, 2),
            "postgres_cpu_pct_per_1000_cameras": round((end[2] - start[2]) / elapsed * per_1000, 2),
        }


def spawn(args: argparse.Namespace, mode: str, name: str, db: str, nats: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--child", "--mode", mode, "--node", name, "--db", db,
               "--nats", nats, "--cameras", str(args.cameras), "--nodes", str(args.nodes),
               "--lease", str(args.lease), "--capacity", str(args.capacity),
               "--segment-seconds", str(args.segment_seconds), "--status-seconds", str(args.status_seconds)]
    return subprocess.Popen(command, stdout=subprocess.PIPE)


def wait_ready(nodes: list[subprocess.Popen[bytes]]) -> None:
    """Each node prints one line once its bus is connected and its cameras (or coordinator) started."""
    for process in nodes:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith(b'{"ready"'):
            raise RuntimeError(f"a node did not start: {line!r}")




def live_owner_count(sessions: sessionmaker[Session], dead: set[str]) -> int:
    with sessions() as session:
        return sum(1 for o in ownership.owners(session) if o.alive and o.node and o.node not in dead)


def overlapping_segments(sessions: sessionmaker[Session]) -> int:
    """Pairs of one camera's segments from two different nodes that overlap in time, in the coordinated
    phase (paths are recordings/<camera>/<node>/<mode>-<n>.mp4)."""
    with sessions() as session:
        value = session.execute(text("""
            SELECT count(*) FROM recording_segments a JOIN recording_segments b
              ON a.camera_id = b.camera_id AND a.id < b.id
             AND split_part(a.path, '/', 3) <> split_part(b.path, '/', 3)
             AND a.start < b."end" AND b.start < a."end"
           WHERE a.path LIKE '%/cluster-%' AND b.path LIKE '%/cluster-%'
        """)).scalar()
    return int(value or 0)


def benchmark(args: argparse.Namespace) -> dict[str, object]:
    from tests.support.nats_server import NatsServer
    from tests.support.postgres import PostgresServer

    postgres, nats = PostgresServer(), NatsServer(monitor=True)
    postgres.start()
    nats.start()
    try:
        url = postgres.create_database()
        upgrade(url)
        sessions = make_sessionmaker(url)
        meter = Meter(sessions, postgres, nats)
        names = node_names(args.nodes)

        baseline_nodes = [spawn(args, "baseline", name, url, nats.url) for name in names]
        wait_ready(baseline_nodes)
        time.sleep(args.segment_seconds)  # every camera has started its cycle
        baseline = meter.measure(baseline_nodes, args.window, args.cameras)
        stop_processes(baseline_nodes, timeout=60)

        nodes = [spawn(args, "cluster", name, url, nats.url) for name in names]
        wait_ready(nodes)
        started = time.monotonic()
        while live_owner_count(sessions, set()) < args.cameras:
            if time.monotonic() - started > 300:
                raise RuntimeError("the cameras did not all get an owner within 300 s")
            time.sleep(0.2)
        first_placement = time.monotonic() - started
        time.sleep(args.lease)  # let early claims settle into the final placement
        coordinated = meter.measure(nodes, args.window, args.cameras)

        dead = set(names[:2])
        with sessions() as session:
            orphaned = sum(1 for o in ownership.owners(session) if o.node in dead)
        killed_at = time.monotonic()
        for process in nodes[:2]:
            process.kill()
        while live_owner_count(sessions, dead) < args.cameras:
            if time.monotonic() - killed_at > args.lease * 10:
                raise RuntimeError("the dead nodes' cameras did not move within ten leases")
            time.sleep(0.1)
        failover = time.monotonic() - killed_at
        time.sleep(args.segment_seconds)  # the moved cameras write their first rows on their new nodes
        stop_processes(nodes[2:], timeout=60)
        reports = [json.loads(line) for process in nodes[2:] if process.stdout
                   for line in process.stdout.read().decode().splitlines() if line.startswith("{")]
        overlaps = overlapping_segments(sessions)
        sessions.kw["bind"].dispose()
    finally:
        nats.stop()
        postgres.stop()

    ratio = {key: round(coordinated[key] / baseline[key], 2) if baseline[key] else None for key in baseline}
    return {
        "bench": "cluster_sim",
        "cameras": args.cameras, "nodes": args.nodes, "lease_seconds": args.lease,
        "segment_seconds": args.segment_seconds, "status_seconds": args.status_seconds,
        "window_seconds": args.window,
        "first_placement_s": round(first_placement, 2),
        "killed_nodes": 2, "cameras_orphaned": orphaned,
        "time_until_every_camera_owned_again_s": round(failover, 2),
        "coordinated": coordinated,
        "baseline_static": baseline,
        "ratio_coordinated_to_baseline": ratio,
        "writes_refused_by_fencing": sum(int(r.get("refused", 0)) for r in reports),
        "writes_failed": sum(int(r.get("failed", 0)) for r in reports),
        "overlapping_segments_from_two_nodes": overlaps,
        "note": "loopback, one machine for every node, PostgreSQL and NATS; absolute figures depend on "
                "the machine's load, compare the ratios",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured per phase")
    parser.add_argument("--lease", type=float, default=15.0)
    parser.add_argument("--capacity", type=int, default=0, help="per node; default: room for 1.5x its share")
    parser.add_argument("--segment-seconds", type=float, default=10.0)
    parser.add_argument("--status-seconds", type=float, default=5.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("baseline", "cluster"), help=argparse.SUPPRESS)
    parser.add_argument("--node", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--nats", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.nodes < 3:
        parser.error("--nodes must be at least 3 (two are killed)")
    if not args.capacity:
        # Room for the survivors to take the dead nodes' cameras: 1.5x an even share.
        args.capacity = -(-args.cameras * 3 // (2 * (args.nodes - 2)))
    if args.child:
        return run_node(args)
    print(json.dumps(benchmark(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
