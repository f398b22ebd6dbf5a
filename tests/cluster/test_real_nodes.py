"""Three real record nodes and a web-only one (``python -m wawai.node`` each, own config folder and
storage) on one real PostgreSQL and one real ``nats-server -js``, six cameras from the real RTSP server.

One site for the module, the cases in order (each leaves it settled again for the next, the last kills a
node): every camera has one owner and the index never holds overlapping segments of a camera; a camera
added by hot reload starts only where it is placed, and its incident, raised by the real analytics on its
owner, reaches the web node's WebSocket; a NATS restart loses no incident event and duplicates none; a
camera removed by hot reload stops on its owner; a node frozen past its lease stops its cameras on
waking and every write it attempts is refused; a node restarted keeps the others' index rows; after a
kill -9 the dead node's cameras record on the others within the issue's 30 s.
"""

from __future__ import annotations

import itertools
import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select
from websockets.sync.client import connect

from tests.cluster.node_site import LEASE, NAMES, ClusterSite, SiteNode, rtsp_cameras, running_site
from tests.support.nats_server import NatsServer
from tests.support.postgres import PostgresServer
from tests.support.rtsp_fixtures import RtspServer, free_port
from tests.support.waiting import wait_for
from wawai.cluster.placement import place
from wawai.db.audit import AuditEntry
from wawai.db.incidents import Incident

log = logging.getLogger(__name__)

BOUND = 30.0  # the bound: a dead node's cameras record elsewhere within 30 s
WAIT = 60.0  # generous waits for things without a stated bound (a loaded 2-core machine)
WEB = "node-w"  # a fourth node, web only: it runs no camera and serves all of them
DARK = "cam-dark"  # a camera nobody can reach: its camera_offline rule raises an incident on its owner


def dark_camera() -> str:
    port = free_port()  # nothing listens there
    return (f"name: Dark\ngroup: metro\nstreams: {{main: 'rtsp://127.0.0.1:{port}/none'}}\n"
            "record: {mode: 'off'}\n"
            "rules:\n  - {name: dark, type: camera_offline, seconds: 1, severity: high}\n")


class Socket:
    """A WebSocket on one node's /api/events, every message kept (read on a thread of its own)."""

    def __init__(self, node: SiteNode) -> None:
        self.messages: list[dict[str, Any]] = []
        self._ws = connect(f"ws://127.0.0.1:{node.port}/api/events?token={node.token}", open_timeout=10)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for text in self._ws:
                self.messages.append(json.loads(text))
        except Exception:  # closed at the end of the test
            return

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in list(self.messages) if m.get("type") == kind]

    def close(self) -> None:
        self._ws.close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer, nats_server: NatsServer,
         rtsp_server: RtspServer) -> Iterator[ClusterSite]:
    root = tmp_path_factory.mktemp("cluster-site")
    with running_site(root, postgres, nats_server.url, rtsp_cameras(rtsp_server), names=(*NAMES, WEB),
                      roles={WEB: ("web",)}) as running:
        running.wait_settled(WAIT)
        yield running


def assert_no_overlaps(site: ClusterSite) -> None:
    """No camera has two segments overlapping in time (whichever nodes wrote them)."""
    by_camera: dict[str, list[tuple[float, float, str | None]]] = {}
    for segment in site.segments():
        span = (segment.start, segment.end, site.writer_of(segment))
        by_camera.setdefault(segment.camera_id, []).append(span)
    for camera_id, spans in by_camera.items():
        spans.sort()
        for (start, end, writer), (next_start, _next_end, next_writer) in itertools.pairwise(spans):
            assert next_start >= end - 1e-6, (
                f"{camera_id}: {writer}'s segment {start}-{end} overlaps {next_writer}'s from {next_start}")


def recorded_since(site: ClusterSite, camera_id: str, node: str, since: float) -> bool:
    return any(s.end > since and site.writer_of(s) == node for s in site.segments(camera_id))


def all_online(node: SiteNode) -> bool:
    return all(camera["status"]["state"] == "online" for camera in node.get("/api/cameras"))


def test_each_camera_has_one_owner_and_records_only_there(site: ClusterSite) -> None:
    owners = site.owners()
    assert set(owners) == set(site.cameras) and set(owners.values()) <= set(site.nodes)
    started = time.time()
    wait_for(lambda: all(recorded_since(site, camera, node, started) for camera, node in owners.items()),
             WAIT, "every camera recording on its owner")
    for camera, owner in owners.items():
        writers = {site.writer_of(s) for s in site.segments(camera) if s.end > started}
        assert writers == {owner}, f"{camera}: written by {writers}, owned by {owner}"
    # Every node lists every camera, with the owner's status for those it does not run.
    for member in site.nodes.values():
        assert {camera["id"] for camera in member.get("/api/cameras")} == set(site.cameras)
        wait_for(partial(all_online, member), WAIT, f"{member.name} showing every camera online")
    assert "starts here" not in site.nodes[WEB].log_text()  # the web node runs no camera
    assert not any(site.writer_of(segment) == WEB for segment in site.segments())
    assert_no_overlaps(site)
    with site.sessions() as db:
        joined = {row.detail["node"] for row in db.scalars(
            select(AuditEntry).where(AuditEntry.action == "cluster.node_joined"))}
        claims = db.scalars(select(AuditEntry).where(AuditEntry.action == "cluster.camera_moved")).all()
    assert joined == set(site.nodes)
    assert {row.camera_id for row in claims if row.detail["change"] == "claimed"} == set(site.cameras)


def test_hot_reload_places_a_new_camera_and_its_incident_reaches_another_node(site: ClusterSite) -> None:
    body = dark_camera()
    cameras = {**site.cameras, DARK: body}
    owner = place(cameras, {node.name: 100 for node in site.record_nodes()})[DARK]
    watcher = site.nodes[WEB]  # a web node: it never runs the camera, it only hears of it
    socket = Socket(watcher)
    try:
        for node in site.nodes.values():
            (node.config_dir / "cameras" / f"{DARK}.yaml").write_text(body)
            node.signal(signal.SIGHUP)
        site.cameras = cameras
        site.wait_settled(WAIT)
        assert site.owners()[DARK] == owner
        created = wait_for(lambda: [m for m in socket.of("incident.created") if m["camera_id"] == DARK],
                           WAIT, f"the dark camera's incident from {owner} on {watcher.name}'s WebSocket")
        assert created[0]["rule"] == "dark"
        moved = wait_for(lambda: [m for m in socket.of("cluster.camera_moved") if m["camera_id"] == DARK],
                         WAIT, "the camera's move on the WebSocket")
        assert moved[0]["node"] == owner and moved[0]["change"] == "claimed"
    finally:
        socket.close()
    # Only its owner runs it: the others list it with the owner's status, and never started it.
    for node in site.nodes.values():
        started_here = f"camera {DARK} starts here" in node.log_text()
        assert started_here == (node.name == owner), node.name
    with site.sessions() as db:
        incidents = db.scalars(select(Incident).where(Incident.camera_id == DARK)).all()
    assert len(incidents) == 1


def test_a_nats_restart_loses_no_incident_event_and_duplicates_none(site: ClusterSite,
                                                                     nats_server: NatsServer) -> None:
    with site.sessions() as db:
        incident_id = db.scalar(select(Incident.id).where(Incident.camera_id == DARK))
    assert incident_id is not None
    names = sorted(site.nodes)
    sender, watcher = site.nodes[names[2]], site.nodes[names[0]]
    socket = Socket(watcher)
    notes = [f"note {n}" for n in range(6)]
    try:
        with sender.client() as client:
            def note(text: str) -> None:
                answer = client.post(f"/api/incidents/{incident_id}/notes", json={"note": text})
                assert answer.status_code == 200, answer.text

            note(notes[0])  # before the restart
            wait_for(lambda: len(socket.of("incident.updated")) == 1, WAIT, "the first note on the socket")
            nats_server.kill()
            for text in notes[1:4]:  # while NATS is away: held by the sender
                note(text)
            nats_server.start()
            for text in notes[4:]:  # after it is back
                note(text)
        updates = wait_for(lambda: (found := socket.of("incident.updated")) and len(found) >= len(notes)
                           and found, WAIT, "every note on the watcher's socket")
        time.sleep(LEASE)  # room for a duplicate to arrive, if one were coming
        updates = socket.of("incident.updated")
    finally:
        socket.close()
    assert len(updates) == len(notes), f"{len(updates)} events for {len(notes)} notes"
    assert all(m["id"] == incident_id and m["action"] == "note" for m in updates)


def test_a_camera_removed_by_hot_reload_stops_on_its_owner_and_is_released(site: ClusterSite) -> None:
    owner = site.nodes[site.owners()[DARK]]
    for node in site.nodes.values():
        (node.config_dir / "cameras" / f"{DARK}.yaml").unlink()
        node.signal(signal.SIGHUP)
    site.cameras = {camera: body for camera, body in site.cameras.items() if camera != DARK}
    wait_for(lambda: f"camera {DARK} stopped here (released)" in owner.log_text(), WAIT,
             f"{owner.name} stopping the removed camera")
    site.wait_settled(WAIT)  # no live owner for it any more, every other camera where it was
    for node in site.nodes.values():
        assert DARK not in {camera["id"] for camera in node.get("/api/cameras")}


def test_a_frozen_node_stops_its_cameras_and_every_write_it_attempts_is_refused(site: ClusterSite) -> None:
    owners = site.owners()
    frozen = max(site.record_nodes(), key=lambda n: sum(1 for o in owners.values() if o == n.name))
    its_cameras = sorted(camera for camera, node in owners.items() if node == frozen.name)
    others = [node for node in site.record_nodes() if node is not frozen]
    frozen.freeze()
    frozen_at = time.time()
    try:
        site.wait_settled(WAIT, nodes=others)  # the others took its cameras after its lease ran out
    finally:
        frozen.thaw()
    thawed_at = time.time()
    wait_for(lambda: all(f"camera {camera} stopped here (lease_lost)" in frozen.log_text()
                         for camera in its_cameras), WAIT, f"{frozen.name} stopping its cameras on waking")
    site.wait_settled(WAIT)  # it joined again, with a new life, and took its cameras back
    log = frozen.log_text()
    assert "refused" in log, "the frozen node attempted no write at all"
    assert list(frozen.storage.rglob("*.mp4.refused")), "its refused segments were not set aside"
    for segment in site.segments():
        if site.writer_of(segment) == frozen.name and segment.end > frozen_at + 1.0:
            assert segment.start >= thawed_at, (
                f"{frozen.name} indexed {segment.camera_id} {segment.start}-{segment.end} across its freeze")
    assert_no_overlaps(site)


def test_a_restarted_node_hands_over_at_once_and_keeps_the_others_rows(site: ClusterSite) -> None:
    owners = site.owners()
    restarted = min(site.record_nodes(), key=lambda n: n.name)
    its_cameras = sorted(camera for camera, node in owners.items() if node == restarted.name)
    others = [node for node in site.record_nodes() if node is not restarted]
    before = {segment.id for segment in site.segments()}
    restarted.terminate()  # SIGTERM: a clean stop releases every camera and ends the lease
    stopped_at = time.time()
    site.wait_settled(WAIT, nodes=others)
    log.info("SIGTERM of %s: its %d camera(s) owned elsewhere %.1f s later", restarted.name, len(its_cameras),
             time.time() - stopped_at)
    assert all(f"camera {camera} stopped here (stopping)" in restarted.log_text() for camera in its_cameras)
    restarted.start()
    wait_for(restarted.healthy, WAIT, f"{restarted.name} answering again")
    site.wait_settled(WAIT)
    # Started after the others' cameras came online, it still shows their state: they announce it again
    # when a node joins.
    wait_for(partial(all_online, restarted), WAIT, f"{restarted.name} showing every camera online")
    # Its start-up reconciliation found none of the others' files in its storage, and dropped nothing.
    assert before <= {segment.id for segment in site.segments()}
    assert_no_overlaps(site)


def test_kill_9_moves_the_cameras_to_the_others_within_30_s(site: ClusterSite) -> None:
    owners = site.owners()
    victim = max(site.record_nodes(), key=lambda n: sum(1 for o in owners.values() if o == n.name))
    its_cameras = sorted(camera for camera, node in owners.items() if node == victim.name)
    assert its_cameras
    survivors = [node for node in site.record_nodes() if node is not victim]
    victim.kill()
    killed_at = time.time()
    site.wait_settled(WAIT, nodes=survivors)
    new_owners = site.owners()
    wait_for(lambda: all(recorded_since(site, camera, new_owners[camera], killed_at)
                         for camera in its_cameras), BOUND + WAIT, "the cameras recording on the others")
    for camera in its_cameras:
        segments = site.segments(camera)
        # The gap in the index: from the last segment begun before the kill (whoever wrote it) to the
        # first the new owner wrote after it.
        before = [s for s in segments if s.start < killed_at]
        after = [s for s in segments if site.writer_of(s) == new_owners[camera] and s.end > killed_at]
        assert after, camera
        resumed = min(s.start for s in after)
        last_end = max((s.end for s in before), default=killed_at)
        assert resumed - last_end <= BOUND, f"{camera}: {resumed - last_end:.1f} s without recording"
        assert resumed - killed_at <= BOUND, f"{camera}: recording {resumed - killed_at:.1f} s after the kill"
        log.info("kill -9 of %s: %s records on %s %.1f s after the kill, %.1f s index gap", victim.name,
                 camera, new_owners[camera], resumed - killed_at, resumed - last_end)
    assert_no_overlaps(site)
    with site.sessions() as db:
        lost = [row.detail for row in
                db.scalars(select(AuditEntry).where(AuditEntry.action == "cluster.node_lost"))]
    assert any(detail["node"] == victim.name for detail in lost)
    # The audit holds one row per loss, however many nodes noticed it.
    keys = [(detail["node"], detail["life"]) for detail in lost]
    assert len(keys) == len(set(keys))
