"""Camera ownership on a real PostgreSQL: one owner per camera, failover when a node stops renewing,
fenced writes refused once the camera moved on, and a frozen node that wakes up stopping by itself."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.cluster.helpers import CAMERAS, LEASE, Member, live_owners, make_node, running, settled
from tests.support.waiting import wait_for
from wawai.cluster import leases, ownership
from wawai.cluster.fencing import Fence, StaleOwnership, check_fence
from wawai.cluster.placement import place
from wawai.db.migrate import upgrade
from wawai.db.recordings import RecordingGap, RecordingSegment, add_index_rows

FAILOVER_BOUND = 30.0  # the bound: a dead node's cameras record elsewhere within 30 s


@pytest.fixture
def cluster_url(postgres_url: str) -> str:
    upgrade(postgres_url)
    return postgres_url


def segment(camera_id: str, start: float, node: str) -> RecordingSegment:
    return RecordingSegment(camera_id=camera_id, start=start, end=start + 10, duration=10, bytes=1000,
                            path=f"recordings/{camera_id}/{node}-{start}.mp4", codec="h264")


def write_segment(node: Member, fence: Fence, start: float) -> None:
    with node.sessions() as session:
        add_index_rows(session, [segment(fence.camera_id, start, node.name)], fence)
        session.commit()


def segment_count(node: Member) -> int:
    with node.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(RecordingSegment)) or 0)


def test_three_coordinators_give_every_camera_exactly_one_owner(cluster_url):
    nodes = [make_node(cluster_url, name, capacity=6) for name in ("node-a", "node-b", "node-c")]
    try:
        for _ in range(4):  # join, then release what is placed elsewhere, then claim it there
            for node in nodes:
                node.coordinator.step()
        assert settled(nodes)
        owners = live_owners(nodes[0].sessions)
        assert owners == place(CAMERAS, {node.name: 6 for node in nodes})
        per_node = {node.name: len(node.cameras.running) for node in nodes}
        assert sum(per_node.values()) == len(CAMERAS) and max(per_node.values()) <= 6
        # Each start came with a fence that is valid right now.
        for node in nodes:
            for fence in node.cameras.running.values():
                with node.sessions() as session:
                    check_fence(session, fence)
                    session.commit()
    finally:
        for node in nodes:
            node.coordinator.leave()
            node.sessions.kw["bind"].dispose()


def test_a_coordinator_that_stops_renewing_loses_its_cameras_to_the_others(cluster_url):
    nodes = [make_node(cluster_url, name) for name in ("node-a", "node-b", "node-c")]
    with running(nodes) as threads:
        wait_for(lambda: settled(nodes), FAILOVER_BOUND, "three nodes sharing the cameras")
        dead = nodes[2]
        orphans = set(dead.cameras.running)
        assert orphans, "placement gave node-c nothing"
        killed_at = time.monotonic()
        threads[dead.name].stop(leave=False)  # as kill -9: no release, no lease end, no callbacks
        survivors = nodes[:2]
        wait_for(lambda: settled(survivors), FAILOVER_BOUND, "node-c's cameras on node-a and node-b")
        moved_after = time.monotonic() - killed_at
        owners = live_owners(nodes[0].sessions)
        assert {owners[camera] for camera in orphans} <= {"node-a", "node-b"}
        # Nobody took them before node-c's lease could have run out: it was renewed at most one renewal
        # interval before the kill, and runs for LEASE from then (a lower bound; slowness only adds).
        assert moved_after >= LEASE - dead.coordinator.renew_seconds - 0.1, moved_after


def test_a_write_under_a_stale_epoch_is_refused_and_writes_nothing(cluster_url):
    first, second = make_node(cluster_url, "node-a"), make_node(cluster_url, "node-b")
    try:
        first.coordinator.step()
        fence = first.cameras.running["cam-00"]
        write_segment(first, fence, 1000.0)
        # A batch of another camera under this fence is a bug.
        with first.sessions() as session, pytest.raises(ValueError, match="cam-01"):
            add_index_rows(session, [segment("cam-01", 0.0, "node-a")], fence)
        # node-a shuts down cleanly: releasing moves the epoch on, node-b claims the camera.
        first.coordinator.leave()
        second.coordinator.step()
        assert second.cameras.running["cam-00"].epoch > fence.epoch
        with pytest.raises(StaleOwnership, match="cam-00"):
            write_segment(first, fence, 1010.0)
        with first.sessions() as session, pytest.raises(StaleOwnership):
            gap = RecordingGap(camera_id="cam-00", start=1010.0, end=1020.0, reason="offline")
            add_index_rows(session, [gap], fence)
        write_segment(second, second.cameras.running["cam-00"], 1010.0)
        with second.sessions() as session:
            rows = session.scalars(select(RecordingSegment).order_by(RecordingSegment.start)).all()
        assert [row.path.rsplit("/", 1)[1] for row in rows] == ["node-a-1000.0.mp4", "node-b-1010.0.mp4"]
        # No fence (a single node): the write goes through as it always did.
        with first.sessions() as session:
            add_index_rows(session, [segment("cam-00", 1020.0, "single")])
            session.commit()
        assert segment_count(first) == 3
    finally:
        second.coordinator.leave()
        for node in (first, second):
            node.sessions.kw["bind"].dispose()


def test_a_write_in_progress_holds_off_the_claim_until_it_commits(cluster_url):
    first, second = make_node(cluster_url, "node-a"), make_node(cluster_url, "node-b")
    try:
        first.coordinator.step()
        fence = first.cameras.running["cam-00"]
        writing = first.sessions()
        add_index_rows(writing, [segment("cam-00", 2000.0, "node-a")], fence)
        writing.flush()  # the fence check has run and share-locked the owner row; not committed yet
        with second.sessions() as session:
            leases.expire(session, "node-a", fence.incarnation)  # node-a's lease ends mid-write
            assert leases.register(session, second.coordinator.info, LEASE) == 1
            taken = ownership.claim(session, "node-b", 1, ["cam-00", "cam-01"])
        assert [f.camera_id for f in taken] == ["cam-01"], "the row being written must be skipped"
        writing.commit()  # the write made under a valid epoch lands
        writing.close()
        with second.sessions() as session:
            taken = ownership.claim(session, "node-b", 1, ["cam-00"])
        assert [(f.camera_id, f.epoch) for f in taken] == [("cam-00", fence.epoch + 1)]
        with pytest.raises(StaleOwnership):
            write_segment(first, fence, 2010.0)
        assert segment_count(first) == 1
    finally:
        for node in (first, second):
            node.sessions.kw["bind"].dispose()


def test_a_frozen_node_wakes_up_stops_its_cameras_and_every_write_is_refused(cluster_url):
    nodes = [make_node(cluster_url, name) for name in ("node-a", "node-b", "node-c")]
    with running(nodes) as threads:
        wait_for(lambda: settled(nodes), FAILOVER_BOUND, "three nodes sharing the cameras")
        frozen = nodes[1]
        held = dict(frozen.cameras.running)
        stops_before = len(frozen.cameras.stops)  # releases while the three settled
        assert held
        threads[frozen.name].pause()  # as SIGSTOP: no renewal, no watchdog, cameras still "running"
        others = [nodes[0], nodes[2]]

        def taken_over() -> bool:
            owners = live_owners(nodes[0].sessions)
            return all(owners.get(camera) in ("node-a", "node-c") for camera in held)

        wait_for(taken_over, FAILOVER_BOUND, "the frozen node's cameras on the others")
        assert set(frozen.cameras.running) == set(held)  # frozen: it has not noticed anything yet
        for fence in held.values():  # what a camera thread waking up mid-write would attempt
            with pytest.raises(StaleOwnership):
                write_segment(frozen, fence, 3000.0)
        assert segment_count(frozen) == 0
        threads[frozen.name].resume()  # as SIGCONT
        wait_for(lambda: len(frozen.cameras.stops) - stops_before >= len(held),
                 FAILOVER_BOUND, "the woken node stopping its cameras")
        woken_stops = frozen.cameras.stops[stops_before:stops_before + len(held)]
        assert sorted(woken_stops) == sorted((camera, "lease_lost") for camera in held)
        for fence in held.values():
            with pytest.raises(StaleOwnership):
                write_segment(frozen, fence, 3010.0)
        # It joins again as a new life, and the cluster settles with exactly one owner per camera.
        wait_for(lambda: (frozen.coordinator.incarnation or 0) > next(iter(held.values())).incarnation,
                 FAILOVER_BOUND, "the woken node registering again")
        wait_for(lambda: settled(nodes), FAILOVER_BOUND, "one owner per camera after the wake-up")
        assert segment_count(frozen) == 0
        assert all(node.cameras.running for node in others)
