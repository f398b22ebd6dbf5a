"""MQTT end to end against Debian's mosquitto: QoS 1 from the outbox, broker stopped and restarted."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from tests.integrations.conftest import Incidents, Mosquitto, make_site, outbox_ids, start_relay
from tests.support.waiting import wait_for
from wawai.bus import EventBus
from wawai.db.outbox import OutboxDelivery
from wawai.integrations.camera_events import CameraEvents


class Subscriber:
    """A persistent-session subscriber (clean_session off), so the broker queues QoS 1 messages for it
    across its own restart."""

    def __init__(self, port: int, topic: str, client_id: str = "test-sub", clean: bool = False) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, message.payload, bool(message.retain)))

    def events(self) -> list[dict]:
        with self.lock:
            return [json.loads(p) for t, p, _ in self.messages if t.endswith("/events")]

    def unique_events(self) -> list[dict]:
        seen: set[str] = set()
        out = []
        for event in self.events():
            if event["id"] not in seen:
                seen.add(event["id"])
                out.append(event)
        return out

    def payloads(self, topic: str) -> list[bytes]:
        with self.lock:
            return [p for t, p, _ in self.messages if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_broker_stopped_and_restarted_loses_nothing_and_keeps_order(tmp_path: Path, mosquitto: Mosquitto):
    config, sessions = make_site(tmp_path, f"""\
        poll_seconds: 0.2
        mqtt: {{url: "{mosquitto.url}", topic_prefix: city/wawai, retry_seconds: 0.5,
                publish_timeout_seconds: 2}}
        """)
    subscriber = Subscriber(mosquitto.port, "city/wawai/#")
    wait_for(lambda: subscriber.client.is_connected(), 10, "the test subscriber connected")
    relay = start_relay(config, sessions)
    incidents = Incidents(config, sessions)
    cameras = CameraEvents(config, EventBus(), sessions)
    try:
        online = [b"online"]
        wait_for(lambda: subscriber.payloads("city/wawai/available")[-1:] == online, 10, "online")
        incidents.raise_one()
        cameras.handle({"type": "camera.status", "camera": "north-gate", "state": "online", "streams": {}})
        wait_for(lambda: len(subscriber.unique_events()) == 3, 10, "the first three events")

        mosquitto.stop()
        for _ in range(3):
            incidents.raise_one("south-gate")
        cameras.handle({"type": "camera.status", "camera": "north-gate", "state": "offline",
                        "streams": {"main": {"last_error": "connection refused"}}})
        time.sleep(2)
        with sessions() as db:
            waiting = db.scalars(select(OutboxDelivery).where(OutboxDelivery.state == "pending")).all()
            assert len(waiting) == 7 and {d.last_status for d in waiting if d.attempts} <= {"not connected"}
        mosquitto.start()
        expected = outbox_ids(sessions)
        assert len(expected) == 10
        wait_for(lambda: len(subscriber.unique_events()) == len(expected), 30, "every event")
    finally:
        relay.stop()
        subscriber.close()

    unique = subscriber.unique_events()
    assert sorted(e["id"] for e in unique) == sorted(e[0] for e in expected)  # nothing lost, none invented
    # In order per key: each key's first arrivals follow the outbox order (here the whole order: one broker).
    key_of = {event_id: key for event_id, _type, key in expected}
    for key in set(key_of.values()):
        assert [e["id"] for e in unique if key_of[e["id"]] == key] == [e[0] for e in expected if e[2] == key]
    statuses = subscriber.payloads("city/wawai/north-gate/status")
    assert statuses[-1] == b"offline" and b"online" in statuses
    # Retained: a newcomer learns the camera's status and that Wawai is... offline after a clean stop.
    late = Subscriber(mosquitto.port, "city/wawai/#", client_id="late", clean=True)
    try:
        wait_for(lambda: late.payloads("city/wawai/north-gate/status"), 10, "the retained camera status")
        assert late.payloads("city/wawai/north-gate/status") == [b"offline"]
        assert late.payloads("city/wawai/available") == [b"offline"]
    finally:
        late.close()
