"""The stages' writes on a cluster node carry the camera's fence (real PostgreSQL, real coordinators):
recorder index rows and gaps, incidents; a refused write is logged once, writes nothing, sets a refused
segment's file aside and stops the camera here. Node joins and losses are audited once however many
nodes notice them."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from analytics.incident_store import IncidentStore
from analytics.rules import RuleEvent
from recorder.index import SegmentIndex
from recorder.segment_file import FinishedFile
from tests.cluster.helpers import LEASE, make_node
from tests.support.waiting import wait_for
from wawai.bus import EventBus, Message
from wawai.cluster import leases, ownership
from wawai.cluster.camera_fences import FENCES_SERVICE, CameraFences, NotOwned, fence_for
from wawai.cluster.database import cluster_engine
from wawai.cluster.fencing import Fence, StaleOwnership
from wawai.cluster.leases import NodeInfo
from wawai.cluster.reporting import NODE_JOINED, NODE_LOST, ClusterReporter
from wawai.config.schema import Rule
from wawai.db.audit import AuditEntry
from wawai.db.incidents import Incident
from wawai.db.migrate import upgrade
from wawai.db.outbox import OutboxEvent
from wawai.db.recordings import RecordingGap, RecordingSegment, add_index_rows
from wawai.queues import DropQueue


@pytest.fixture
def cluster_url(postgres_url: str) -> str:
    upgrade(postgres_url)
    return postgres_url


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def drain(queue: DropQueue[Message]) -> list[Message]:
    items = []
    while (item := queue.get(timeout=0)) is not None:
        items.append(item)
    return items


def finished(storage: Path, camera_id: str, start: float) -> FinishedFile:
    path = storage / "recordings" / camera_id / f"{start:.0f}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * 100)
    return FinishedFile(path=path, start=start, end=start + 2, bytes=100, codec="h264")


def test_index_rows_carry_the_fence_and_a_refusal_stops_the_camera_once(cluster_url, tmp_path, caplog):
    first, second = make_node(cluster_url, "node-a"), make_node(cluster_url, "node-b")
    stopped: list[str] = []
    done = threading.Event()

    def stop(camera_id: str) -> None:
        stopped.append(camera_id)
        done.set()

    fences = CameraFences("node-a", on_refused=stop)
    index = SegmentIndex(tmp_path, first.sessions, {FENCES_SERVICE: fences})
    try:
        first.coordinator.step()
        fence = first.cameras.running["cam-00"]
        fences.set(fence)
        assert fence_for({FENCES_SERVICE: fences}, "cam-00") == fence
        assert fence_for({}, "cam-00") is None  # a single node: no fence, writes as before
        index.add_segment("cam-00", finished(tmp_path, "cam-00", 1000))
        index.add_gap("cam-00", 1002, 1004, "offline")
        assert (count(first.sessions, RecordingSegment), count(first.sessions, RecordingGap)) == (1, 1)

        # A camera this node never started: nothing is written, unfenced or otherwise.
        with pytest.raises(NotOwned):
            fences.fence("cam-01")
        index.add_gap("cam-01", 1000, 1001, "offline")
        assert count(first.sessions, RecordingGap) == 1

        # The camera moves on (node-a leaves, node-b claims it) while node-a still holds the old fence.
        first.coordinator.leave()
        second.coordinator.step()
        assert second.cameras.running["cam-00"].epoch > fence.epoch
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="wawai.cluster.camera_fences"):
            late = finished(tmp_path, "cam-00", 1004)
            index.add_segment("cam-00", late)
            index.add_gap("cam-00", 1006, 1008, "offline")
        assert (count(first.sessions, RecordingSegment), count(first.sessions, RecordingGap)) == (1, 1)
        assert not late.path.exists() and late.path.with_name(late.path.name + ".refused").exists()
        assert done.wait(10) and stopped == ["cam-00"], "the refusal stops the camera, once"
        refusals = [r for r in caplog.records if "refused" in r.getMessage()]
        assert len(refusals) == 1 and "epoch" in refusals[0].getMessage()
        assert fences.refusals == 3  # cam-01 once, cam-00 twice
    finally:
        second.coordinator.leave()
        for node in (first, second):
            node.sessions.kw["bind"].dispose()


def test_an_incident_of_a_camera_that_moved_on_is_not_stored(cluster_url, tmp_path):
    first, second = make_node(cluster_url, "node-a"), make_node(cluster_url, "node-b")
    fences = CameraFences("node-a")
    bus = EventBus()
    heard = bus.subscribe()
    store = IncidentStore(first.sessions, tmp_path, bus, pre_seconds=5, post_seconds=10,
                          services={FENCES_SERVICE: fences})
    rule = Rule(name="gate", type="intrusion", zone="z")
    try:
        first.coordinator.step()
        fence = first.cameras.running["cam-00"]
        fences.set(fence)
        opened = store.open("cam-00", RuleEvent("start", rule, ("gate", 1), 1000.0, "z", ("person",)))
        first.coordinator.leave()
        second.coordinator.step()
        with pytest.raises(StaleOwnership):
            store.open("cam-00", RuleEvent("start", rule, ("gate", 2), 1001.0, "z", ("person",)))
        with pytest.raises(StaleOwnership):
            store.close(opened, 1002.0)  # ending it is a write too
        with pytest.raises(StaleOwnership):
            store.open("cam-01", RuleEvent("instant", rule, ("gate", 3), 1003.0, "z", ("person",)))
        with first.sessions() as session:
            incidents = session.scalars(select(Incident)).all()
            assert [(i.id, i.ended_at) for i in incidents] == [(opened, None)]
            assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 1  # only the first
        assert [m["type"] for m in drain(heard)] == ["incident.created"]
    finally:
        second.coordinator.leave()
        for node in (first, second):
            node.sessions.kw["bind"].dispose()


def test_joins_and_losses_are_audited_once_however_many_nodes_notice(cluster_url):
    watchers = [make_node(cluster_url, name) for name in ("node-a", "node-b")]
    buses = [EventBus(), EventBus()]
    heard = [bus.subscribe() for bus in buses]
    reporters = [ClusterReporter(w.sessions, bus, w.name, period=1)
                 for w, bus in zip(watchers, buses, strict=True)]
    try:
        with watchers[0].sessions() as session:
            life = leases.register(session, NodeInfo("node-x", ("record",), 10), LEASE)
        for reporter in reporters:
            reporter.observe()
        with watchers[0].sessions() as session:
            leases.expire(session, "node-x", life)
        for reporter in reporters:
            reporter.observe()
        with watchers[0].sessions() as session:
            rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
            actions = [(row.action, row.detail["node"], row.detail["life"]) for row in rows]
        assert actions == [(NODE_JOINED, "node-x", life), (NODE_LOST, "node-x", life)]
        messages = [m for queue in heard for m in drain(queue)]
        assert sorted(m["type"] for m in messages) == [NODE_JOINED, NODE_LOST]
        assert all(m["audience"] == "admin" for m in messages)
    finally:
        for watcher in watchers:
            watcher.sessions.kw["bind"].dispose()


def test_a_write_frozen_mid_transaction_does_not_hold_off_the_takeover(cluster_url):
    # A node frozen between its fence check and its commit keeps the owner row share-locked; a
    # cluster node's engine has the server end such an idle transaction after half a lease.
    first, second = make_node(cluster_url, "node-a"), make_node(cluster_url, "node-b")
    frozen_sessions = sessionmaker(bind=cluster_engine(cluster_url, LEASE), expire_on_commit=False)
    try:
        first.coordinator.step()
        fence = first.cameras.running["cam-00"]
        writing = frozen_sessions()
        row = RecordingSegment(camera_id="cam-00", start=0.0, end=2.0, duration=2.0, bytes=1,
                               path="recordings/cam-00/frozen.mp4", codec="h264")
        add_index_rows(writing, [row], fence)
        writing.flush()  # checked and share-locked; then the process "freezes" (no commit)
        with second.sessions() as session:
            leases.expire(session, "node-a", fence.incarnation)
            life = leases.register(session, second.coordinator.info, 60)  # outlives the wait below
            assert ownership.claim(session, "node-b", life, ["cam-00"]) == [], "the locked row is skipped"

        def claim() -> list[Fence]:
            with second.sessions() as session:
                return ownership.claim(session, "node-b", life, ["cam-00"])

        # The failover bound; the server ends the transaction after LEASE / 2.
        taken = wait_for(claim, 30, "the claim once the server ended the idle transaction")
        assert taken[0].epoch == fence.epoch + 1
        with pytest.raises(SQLAlchemyError):  # the frozen node wakes: its transaction is gone
            writing.commit()
        writing.close()
        assert count(first.sessions, RecordingSegment) == 0
    finally:
        frozen_sessions.kw["bind"].dispose()
        for node in (first, second):
            node.sessions.kw["bind"].dispose()
