"""Cluster test helpers: coordinators on one real PostgreSQL, with cameras that only record what they
were told (start with a fence, stop with a reason)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from wawai.cluster import ownership
from wawai.cluster.coordinator import Coordinator, CoordinatorThread
from wawai.cluster.fencing import Fence
from wawai.cluster.leases import NodeInfo
from wawai.cluster.placement import place
from wawai.db.base import make_sessionmaker

CAMERAS = [f"cam-{n:02d}" for n in range(12)]
LEASE = 3.0  # the config's minimum: failover tests stay short


@dataclass
class Cameras:
    """What a node's stages would do: the cameras running, every start and stop in order."""

    running: dict[str, Fence] = field(default_factory=dict)
    stops: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, fence: Fence) -> None:
        with self.lock:
            assert fence.camera_id not in self.running, f"{fence.camera_id} started twice"
            self.running[fence.camera_id] = fence

    def stop(self, camera_id: str, reason: str) -> None:
        with self.lock:
            self.running.pop(camera_id)
            self.stops.append((camera_id, reason))


@dataclass
class Member:
    coordinator: Coordinator
    cameras: Cameras
    sessions: sessionmaker[Session]

    @property
    def name(self) -> str:
        return self.coordinator.info.name


def make_node(url: str, name: str, camera_ids: list[str] = CAMERAS, capacity: int = 100,
              lease: float = LEASE) -> Member:
    cameras = Cameras()
    sessions = make_sessionmaker(url)  # its own pool, as a node on its own machine would have
    coordinator = Coordinator(sessions, NodeInfo(name, ("record", "web"), capacity), camera_ids,
                              lease_seconds=lease, on_start=cameras.start, on_stop=cameras.stop)
    return Member(coordinator, cameras, sessions)


@contextmanager
def running(nodes: list[Member]) -> Iterator[dict[str, CoordinatorThread]]:
    threads = {node.name: CoordinatorThread(node.coordinator) for node in nodes}
    for thread in threads.values():
        thread.start()
    try:
        yield threads
    finally:
        for thread in threads.values():
            thread.stop(leave=False)
        for node in nodes:
            node.sessions.kw["bind"].dispose()


def live_owners(sessions: sessionmaker[Session]) -> dict[str, str]:
    """camera -> node, for the cameras whose owner's lease is running."""
    with sessions() as session:
        return {o.camera_id: o.node for o in ownership.owners(session) if o.alive and o.node}


def settled(nodes: list[Member], camera_ids: list[str] = CAMERAS) -> bool:
    """The database gives every camera the owner that placement among exactly ``nodes`` gives it, and
    each camera runs on exactly that node."""
    owners = live_owners(nodes[0].sessions)
    if owners != place(camera_ids, {node.name: node.coordinator.info.capacity for node in nodes}):
        return False
    for node in nodes:
        with node.cameras.lock:
            running = set(node.cameras.running)
        if running != {camera for camera, owner in owners.items() if owner == node.name}:
            return False
    return True
