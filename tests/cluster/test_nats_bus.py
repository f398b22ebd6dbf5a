"""The NATS bus on a real ``nats-server -js``: events of one node reach the others' subscribers on
subjects per camera and type, and incidents survive a NATS restart without loss or duplicates."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import nats
import pytest

from tests.support.nats_server import NatsServer
from tests.support.waiting import run_coroutine, wait_for
from wawai.bus import Message
from wawai.cluster.nats_bus import NatsBus, message_id
from wawai.queues import DropQueue

DELIVERY = 20.0  # generous: a wait, not a latency claim


def drain(queue: DropQueue[Message]) -> list[Message]:
    items: list[Message] = []
    while len(queue):
        item = queue.get(timeout=0)
        if item is not None:
            items.append(item)
    return items


class Collector:
    """A subscriber that keeps everything it was given, in order."""

    def __init__(self, bus: NatsBus) -> None:
        self.queue = bus.subscribe(10_000)
        self.seen: list[Message] = []

    def messages(self, kind: str | None = None) -> list[Message]:
        self.seen.extend(drain(self.queue))
        return [m for m in self.seen if kind is None or m["type"] == kind]

    def incident_ids(self) -> list[int]:
        return [int(m["id"]) for m in self.messages("incident.created")]


def incident(number: int, camera: str = "gate-north") -> Message:
    return {"type": "incident.created", "id": number, "camera": camera, "camera_id": camera,
            "rule": "night-entry", "severity": "high"}


@pytest.fixture
def buses(nats_server: NatsServer) -> Iterator[dict[str, NatsBus]]:
    made = {name: NatsBus(nats_server.url, name, reconnect_seconds=1) for name in ("node-a", "node-b")}
    for bus in made.values():
        assert bus.start(wait=DELIVERY), "bus did not connect"
    yield made
    for bus in made.values():
        bus.stop()


async def _first_on(url: str, subject: str, publish: object) -> tuple[str, dict]:
    client = await nats.connect(url)
    try:
        subscription = await client.subscribe(subject)
        await client.flush()
        await asyncio.get_running_loop().run_in_executor(None, publish)  # type: ignore[arg-type]
        msg = await subscription.next_msg(timeout=DELIVERY)
        return msg.subject, json.loads(msg.data)
    finally:
        await client.close()


def test_events_reach_the_other_node_once_on_a_subject_per_camera_and_type(buses, nats_server):
    a, b = buses["node-a"], buses["node-b"]
    on_a, on_b = Collector(a), Collector(b)
    status = {"type": "camera.status", "camera_id": "gate-north", "state": "online"}
    subject, body = run_coroutine(_first_on(nats_server.url, "wawai.event.gate-north.camera.status",
                                            lambda: a.publish(status)))
    assert subject == "wawai.event.gate-north.camera.status" and body == status
    wait_for(lambda: on_b.messages("camera.status"), DELIVERY, "node-b seeing node-a's camera status")
    b.publish({"type": "detections", "camera_id": "south-gate", "objects": ["person"]})
    wait_for(lambda: on_a.messages("detections"), DELIVERY, "node-a seeing node-b's detections")
    time.sleep(1.0)  # time for an echo to arrive, if there were one
    assert on_a.messages("camera.status") == [status]  # its own, delivered locally, once
    assert on_b.messages("camera.status") == [status]
    assert len(on_b.messages("detections")) == 1


def test_a_nats_restart_loses_no_incident_and_duplicates_none(buses, nats_server):
    a, b = buses["node-a"], buses["node-b"]
    on_a, on_b = Collector(a), Collector(b)
    for number in range(1, 6):
        a.publish(incident(number))
    a.publish(incident(3))  # a retried copy (the store or an outbox sending again): the same id
    wait_for(lambda: on_b.incident_ids() == [1, 2, 3, 4, 5], DELIVERY, "incidents 1-5 on node-b")

    nats_server.kill()
    wait_for(lambda: not a.connected, DELIVERY, "node-a noticing NATS is gone")
    for number in range(6, 11):
        a.publish(incident(number))  # raised while NATS is down: held by node-a
    wait_for(lambda: a.pending() == 5, DELIVERY, "node-a holding the five incidents")
    nats_server.start()
    wait_for(lambda: a.pending() == 0, DELIVERY * 2, "node-a's held incidents acknowledged")
    wait_for(lambda: len(on_b.incident_ids()) >= 10, DELIVERY * 2, "incidents 6-10 on node-b")
    time.sleep(2.0)  # time for a duplicate to arrive, if one were coming
    assert on_b.incident_ids() == list(range(1, 11))
    assert on_a.incident_ids() == [1, 2, 3, 4, 5, 3, 6, 7, 8, 9, 10]  # local delivery is as published


def test_a_web_node_restarting_catches_up_on_the_incidents_it_missed(buses, nats_server):
    a, b = buses["node-a"], buses["node-b"]
    a.publish(incident(21, "south-gate"))
    on_b = Collector(b)
    wait_for(lambda: on_b.incident_ids() == [21], DELIVERY, "incident 21 on node-b")
    b.stop()
    a.publish(incident(22, "south-gate"))
    a.publish({**incident(22, "south-gate"), "type": "incident.updated", "status": "acknowledged"})
    wait_for(lambda: a.pending() == 0, DELIVERY, "node-a's incidents acknowledged")
    again = NatsBus(nats_server.url, "node-b", reconnect_seconds=1)
    buses["node-b"] = again  # the fixture stops it
    on_again = Collector(again)
    assert again.start(wait=DELIVERY)
    wait_for(lambda: len(on_again.messages()) >= 2, DELIVERY, "node-b catching up after its restart")
    assert [(m["type"], m["id"]) for m in on_again.messages()] == [
        ("incident.created", 22), ("incident.updated", 22)]


def test_message_ids_follow_the_incident_and_its_changes():
    created = incident(7)
    assert message_id(created) == "incident.created:7"
    update = {**created, "type": "incident.updated", "status": "acknowledged"}
    resolved = {**update, "status": "resolved"}
    assert message_id(update) == message_id(dict(update)) != message_id(resolved)
    assert message_id({**update, "event_id": "evt-123"}) == "evt-123"
