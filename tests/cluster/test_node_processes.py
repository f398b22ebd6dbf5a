"""Three record nodes as real processes on one PostgreSQL, each writing fenced index rows for its cameras:
a real SIGSTOP past the lease then SIGCONT, and a real kill -9. The index never holds two nodes' segments
of one camera overlapping in time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tests.cluster.helpers import LEASE, live_owners
from tests.support.waiting import wait_for
from wawai.assets import REPO_ROOT
from wawai.cluster.placement import place
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade

CAMERAS = [f"cam-{n}" for n in range(6)]
NAMES = ("node-a", "node-b", "node-c")
BOUND = 30.0  # the bound for a dead node's cameras to record elsewhere


class NodeProcess:
    """tests/cluster/node_child.py in its own process; its JSON events collected as they come."""

    def __init__(self, url: str, name: str) -> None:
        self.name = name
        self.events: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cluster.node_child", url, name, str(LEASE), *CAMERAS],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.append(json.loads(line))

    def running(self) -> set[str]:
        cameras: set[str] = set()
        for event in list(self.events):
            if "start" in event:
                cameras.add(event["start"])
            elif "stop" in event:
                cameras.discard(event["stop"])
        return cameras

    def wrote(self, camera_id: str) -> bool:
        return any(event.get("wrote") == camera_id for event in list(self.events))

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def cluster(postgres_url: str) -> Iterator[tuple[dict[str, NodeProcess], sessionmaker[Session]]]:
    upgrade(postgres_url)
    sessions = make_sessionmaker(postgres_url)
    nodes = {name: NodeProcess(postgres_url, name) for name in NAMES}
    try:
        yield nodes, sessions
    finally:
        for node in nodes.values():
            node.end()
        sessions.kw["bind"].dispose()


def placed_on(names: tuple[str, ...] | list[str]) -> dict[str, str | None]:
    return place(CAMERAS, dict.fromkeys(names, 100))


def recording_as_placed(nodes: dict[str, NodeProcess], sessions: sessionmaker[Session],
                        names: tuple[str, ...] | list[str]) -> bool:
    """The database's owners are the placement among ``names``, each camera runs on its owner and has
    written there."""
    wanted = placed_on(names)
    if live_owners(sessions) != wanted:
        return False
    return all(camera in nodes[node].running() and nodes[node].wrote(camera)
               for camera, node in wanted.items() if node is not None)


def overlapping_segments(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    """(camera, node, node) for every pair of two nodes' segments of one camera that overlap in time."""
    with sessions() as session:
        rows = session.execute(text("""
            SELECT a.camera_id, split_part(a.path, '/', 3), split_part(b.path, '/', 3)
              FROM recording_segments a JOIN recording_segments b
                ON a.camera_id = b.camera_id AND a.id < b.id
               AND split_part(a.path, '/', 3) <> split_part(b.path, '/', 3)
               AND a.start < b."end" AND b.start < a."end"
        """)).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_sigstop_past_the_lease_then_sigcont(cluster):
    nodes, sessions = cluster
    wait_for(lambda: recording_as_placed(nodes, sessions, NAMES), BOUND, "three nodes recording")
    frozen = nodes["node-b"]
    held = frozen.running()
    assert held, "placement gave node-b nothing"
    frozen.signal(signal.SIGSTOP)
    try:
        def taken_over() -> bool:
            owners = live_owners(sessions)
            return all(owners.get(camera) in ("node-a", "node-c") for camera in held)

        wait_for(taken_over, BOUND, "node-b's cameras taken by node-a and node-c")
        woke_at = len(frozen.events)
    finally:
        frozen.signal(signal.SIGCONT)
    wait_for(lambda: held <= {e["stop"] for e in frozen.events[woke_at:] if e.get("reason") == "lease_lost"},
             BOUND, "node-b stopping its cameras on waking")
    # Every write it attempted on waking, before a fresh start of that camera, was refused.
    restarted: set[str] = set()
    for event in frozen.events[woke_at:]:
        if "start" in event:
            restarted.add(event["start"])
        assert event.get("wrote") is None or event["wrote"] in restarted, event
    # It joins again; the cluster settles on one owner per camera, and the index never overlaps.
    wait_for(lambda: recording_as_placed(nodes, sessions, NAMES), BOUND, "the three recording again")
    assert overlapping_segments(sessions) == []


def test_kill_9_of_a_node_moves_its_cameras_within_the_bound(cluster):
    nodes, sessions = cluster
    wait_for(lambda: recording_as_placed(nodes, sessions, NAMES), BOUND, "three nodes recording")
    dead = nodes["node-c"]
    orphans = dead.running()
    assert orphans, "placement gave node-c nothing"
    dead.signal(signal.SIGKILL)
    survivors = ["node-a", "node-b"]
    wait_for(lambda: recording_as_placed(nodes, sessions, survivors), BOUND,
             "node-c's cameras recording on node-a and node-b")
    assert overlapping_segments(sessions) == []
