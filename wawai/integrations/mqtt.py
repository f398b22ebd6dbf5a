"""MQTT delivery with paho-mqtt 2, fed from the outbox (topics close to Frigate's, so its users'
automations adapt easily):

- ``<prefix>/available``: ``online`` (retained) once connected; the broker publishes the last will
  ``offline`` (retained) when Wawai goes away without saying goodbye.
- ``<prefix>/events``: every event's envelope ``{type, id, timestamp, data}`` as JSON, QoS 1.
- ``<prefix>/<camera>/status``: ``online`` / ``offline`` (retained), on camera.online / camera.offline.

Each event is published at QoS 1 and counts as delivered only when the broker's PUBACK arrives; while
the broker is away nothing is sent and the outbox keeps the events, so none is lost and they go out in
order when it returns (every ``retry_seconds`` the relay tries again; paho reconnects by itself).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from wawai.config.schema import MqttSection
from wawai.integrations.channel import EventFilter, Outcome, RetryPolicy

log = logging.getLogger(__name__)

CAMERA_STATES = {"camera.online": "online", "camera.offline": "offline"}


class MqttChannel:
    name = "mqtt"

    def __init__(self, config: MqttSection) -> None:
        assert config.url is not None
        self.config = config
        self.filter = EventFilter()
        self.retry = RetryPolicy((config.retry_seconds,), forever=True)
        parts = urlsplit(config.url)
        self._host = parts.hostname or "localhost"
        self._tls = parts.scheme == "mqtts"
        self._port = parts.port or (8883 if self._tls else 1883)
        self._connected = threading.Event()
        self.prefix = config.topic_prefix
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=config.client_id,
                                   protocol=mqtt.MQTTv311, clean_session=True)
        if config.username:
            self._client.username_pw_set(config.username, config.password)
        if self._tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._client.will_set(self.topic("available"), "offline", qos=1, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=max(2, int(config.retry_seconds * 4)))
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    def topic(self, *parts: str) -> str:
        return "/".join((self.prefix, *parts))

    def start(self) -> None:
        self._client.connect_async(self._host, self._port, keepalive=30)
        self._client.loop_start()

    def close(self) -> None:
        if self._connected.is_set():
            # A clean goodbye: say offline ourselves (the broker does not send the will then).
            info = self._client.publish(self.topic("available"), "offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=2)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("mqtt: broker %s:%d refused the connection: %s", self._host, self._port, reason)
            return
        client.publish(self.topic("available"), "online", qos=1, retain=True)
        log.info("mqtt: connected to %s:%d", self._host, self._port)
        self._connected.set()

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                       _props: Any) -> None:
        if self._connected.is_set():
            log.warning("mqtt: disconnected from %s:%d (%s); the outbox keeps events", self._host, self._port,
                        reason)
        self._connected.clear()

    def deliver(self, event_id: str, event_type: str, body: bytes, data: dict[str, Any]) -> Outcome:
        if not self._connected.is_set():
            return Outcome(False, "not connected", f"broker {self._host}:{self._port} not connected")
        messages: list[tuple[str, bytes | str, bool]] = []
        state = CAMERA_STATES.get(event_type)
        camera = data.get("camera") if isinstance(data.get("camera"), dict) else None
        if state and camera and camera.get("id"):
            messages.append((self.topic(str(camera["id"]), "status"), state, True))
        messages.append((self.topic("events"), body, False))
        for topic, payload, retain in messages:
            try:
                info = self._client.publish(topic, payload, qos=1, retain=retain)
                info.wait_for_publish(timeout=self.config.publish_timeout_seconds)
            except (RuntimeError, ValueError) as exc:  # disconnected while waiting, or queue full
                return Outcome(False, "not published", str(exc)[:300])
            if not info.is_published():
                wait = self.config.publish_timeout_seconds
                return Outcome(False, "no puback", f"no PUBACK within {wait:g} s")
        return Outcome(True, "puback")
