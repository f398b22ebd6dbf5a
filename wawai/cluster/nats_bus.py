"""The event bus across nodes: the same interface as wawai.bus.EventBus, carried by NATS.

- ``publish`` (any thread) delivers to this node's subscribers at once, then sends the message to the
  other nodes on the subject ``wawai.event.<camera>.<type>`` (``_site`` for messages of no camera):
  camera status and detections are live state, at most once, like the in-process bus.
- Incidents (``incident.*``) go through the JetStream stream ``WAWAI_INCIDENTS`` on
  ``wawai.incident.<camera>.<type>`` with a ``Nats-Msg-Id``: the publisher retries until the server
  acknowledges, the stream drops a retried copy (same id, within the duplicate window), and each node
  reads with its own durable consumer and acknowledges after delivery, remembering recent ids. So a NATS
  restart neither loses an incident nor shows one twice.
- Subscribers (the WebSocket) see every node's events through ``subscribe``; the node's own messages
  come to them directly, never back from NATS (``no_echo``, and its own id in a header).

The client runs its own asyncio loop in a thread, so stages in threads and the web loop both publish
without blocking. The connection is retried forever: a node started before NATS, or through a NATS
restart, keeps running on local events and catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Coroutine
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import Error as JetStreamError

from wawai.bus import EventBus, Message
from wawai.logs import mask_url

log = logging.getLogger(__name__)

STREAM = "WAWAI_INCIDENTS"
EVENT_SUBJECTS = "wawai.event.>"
INCIDENT_SUBJECTS = "wawai.incident.>"
NODE_HEADER = "Wawai-Node"
DUPLICATE_WINDOW = 120.0  # seconds within which JetStream drops a retried copy (its default)
STREAM_MAX_AGE = 7 * 86400.0  # the stream is a delivery log, not the incident store (that is the DB)
RECENT_IDS = 10_000  # incident message ids remembered per node against redelivery
PENDING_LIMIT = 100_000  # incidents held while NATS is away, before the oldest is given up (logged)
RETRY_SECONDS = 0.5
_NO_CAMERA = "_site"


def subject_for(message: Message) -> str:
    """``wawai.event.<camera>.<type>`` or, for incidents, ``wawai.incident.<camera>.<type>``."""
    kind = str(message["type"])
    camera = str(message.get("camera_id") or message.get("camera") or _NO_CAMERA)
    family = "incident" if is_persistent(message) else "event"
    return f"wawai.{family}.{camera}.{kind}"


def is_persistent(message: Message) -> bool:
    return str(message["type"]).startswith("incident.")


def message_id(message: Message) -> str:
    """The JetStream de-duplication id: the outbox's stable ``event_id`` where the message has one;
    ``incident.created:<id>`` (one per incident); for later changes of an incident, its id and a digest
    of the content, so a retried copy is dropped but the next real change is not."""
    if message.get("event_id"):
        return str(message["event_id"])
    kind, incident = str(message["type"]), message.get("id")
    if kind == "incident.created" and incident is not None:
        return f"{kind}:{incident}"
    digest = hashlib.sha256(json.dumps(message, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"{kind}:{incident}:{digest}"


class NatsBus(EventBus):
    def __init__(self, servers: str, node: str, *, connect_timeout: float = 2.0,
                 reconnect_seconds: float = 1.0) -> None:
        super().__init__()
        self.servers = [server.strip() for server in servers.split(",") if server.strip()]
        self.node = node
        self.connect_timeout = connect_timeout
        self.reconnect_seconds = reconnect_seconds
        self.sent = 0  # messages this node handed to NATS
        self.received = 0  # messages from other nodes delivered here
        self.dropped = 0  # live events not sent because NATS was away
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"nats-{node}", daemon=True)
        self._client: Client | None = None
        self._connected = threading.Event()
        self._consuming = threading.Event()  # the incident consumer is subscribed
        self._stopping = False
        self._pending: deque[tuple[str, bytes, str]] = deque()  # incidents not yet acknowledged
        self._pending_ready: asyncio.Event | None = None
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Start connecting in the background; with ``wait``, block that long for the connection and
        the incident consumer. True when both are up."""
        self._thread.start()
        self._submit(self._start_tasks())
        if wait:
            return self._connected.wait(wait) and self._consuming.wait(wait)
        return self._consuming.is_set()

    def stop(self) -> None:
        self._stopping = True
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            future.result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def pending(self) -> int:
        """Incidents waiting for the server's acknowledgement."""
        return len(self._pending)

    # --- the EventBus interface ------------------------------------------------------------------

    def publish(self, message: Message) -> None:
        super().publish(message)  # this node's subscribers, at once (and the 'type' check)
        payload = json.dumps(message, default=str).encode()
        subject = subject_for(message)
        if is_persistent(message):
            self._loop.call_soon_threadsafe(self._queue_persistent, subject, payload, message_id(message))
        else:
            self._loop.call_soon_threadsafe(self._send_live, subject, payload)

    # --- inside the loop -------------------------------------------------------------------------

    def _submit(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _start_tasks(self) -> None:
        self._pending_ready = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._connect_and_consume()))
        self._tasks.append(asyncio.create_task(self._send_persistent()))

    async def _connect(self) -> Client:
        while True:
            try:
                return await nats.connect(
                    servers=self.servers, name=f"wawai-{self.node}", no_echo=True,
                    connect_timeout=max(1, round(self.connect_timeout)),
                    reconnect_time_wait=max(1, round(self.reconnect_seconds)),
                    max_reconnect_attempts=-1, allow_reconnect=True,
                    disconnected_cb=self._on_disconnect, reconnected_cb=self._on_reconnect,
                    error_cb=self._on_error,
                )
            except (NatsError, OSError, TimeoutError) as exc:
                log.warning("bus: NATS at %s not reachable (%s); retrying",
                            ", ".join(mask_url(s) for s in self.servers), exc.__class__.__name__)
                await asyncio.sleep(self.reconnect_seconds)

    async def _connect_and_consume(self) -> None:
        client = await self._connect()
        self._client = client
        await client.subscribe(EVENT_SUBJECTS, cb=self._on_event)
        self._connected.set()
        self._wake_sender()
        log.info("bus: node %s connected to NATS", self.node)
        while not self._stopping:
            try:
                await self._consume_incidents(client)
            except (NatsError, JetStreamError, OSError, TimeoutError) as exc:
                if not self._stopping:
                    log.debug("bus: incident consumer interrupted (%s); again", exc.__class__.__name__)
                    await asyncio.sleep(RETRY_SECONDS)

    async def _ensure_stream(self, client: Client) -> None:
        js = client.jetstream()
        config = StreamConfig(name=STREAM, subjects=[INCIDENT_SUBJECTS], storage=StorageType.FILE,
                              duplicate_window=DUPLICATE_WINDOW, max_age=STREAM_MAX_AGE)
        try:
            await js.stream_info(STREAM)
        except JetStreamError:
            await js.add_stream(config)

    async def _consume_incidents(self, client: Client) -> None:
        await self._ensure_stream(client)
        js = client.jetstream()
        # A durable consumer per node: after a restart (of the node or of NATS) it resumes after the
        # last incident this node acknowledged. A node new to the cluster starts with what comes next.
        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.EXPLICIT,
                                ack_wait=30)
        subscription = await js.pull_subscribe(INCIDENT_SUBJECTS, durable=f"wawai-{self.node}",
                                               stream=STREAM, config=config)
        self._consuming.set()
        try:
            while not self._stopping:
                try:
                    messages = await subscription.fetch(batch=64, timeout=1)
                except TimeoutError:
                    continue
                for msg in messages:
                    self._deliver_incident(msg)
                    await msg.ack()
        finally:
            with contextlib.suppress(NatsError, OSError):  # the connection may be gone with it
                await subscription.unsubscribe()

    def _deliver_incident(self, msg: Msg) -> None:
        headers = msg.headers or {}
        ident = headers.get("Nats-Msg-Id", "")
        if headers.get(NODE_HEADER) == self.node or (ident and ident in self._recent):
            return  # ours (delivered when published), or a redelivery of one already shown
        if ident:
            self._recent[ident] = None
            while len(self._recent) > RECENT_IDS:
                self._recent.popitem(last=False)
        self._deliver_remote(msg.data)

    async def _on_event(self, msg: Msg) -> None:
        self._deliver_remote(msg.data)

    def _deliver_remote(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("bus: a message that is not JSON was ignored")
            return
        if isinstance(message, dict) and "type" in message:
            self.received += 1
            EventBus.publish(self, message)  # local subscribers only: never back out to NATS

    def _send_live(self, subject: str, payload: bytes) -> None:
        client = self._client
        if client is None or not client.is_connected:
            self.dropped += 1  # live state: the next status message replaces it
            return
        self._loop.create_task(self._publish_live(client, subject, payload))

    async def _publish_live(self, client: Client, subject: str, payload: bytes) -> None:
        try:
            await client.publish(subject, payload)
            self.sent += 1
        except (NatsError, OSError):
            self.dropped += 1

    def _queue_persistent(self, subject: str, payload: bytes, ident: str) -> None:
        if len(self._pending) >= PENDING_LIMIT:
            self._pending.popleft()
            log.error("bus: more than %d incidents waiting for NATS; the oldest was given up", PENDING_LIMIT)
        self._pending.append((subject, payload, ident))
        self._wake_sender()

    def _wake_sender(self) -> None:
        if self._pending_ready is not None:
            self._pending_ready.set()

    async def _send_persistent(self) -> None:
        """Publish queued incidents in order, each until the server acknowledges it (same id on retry)."""
        assert self._pending_ready is not None
        while not self._stopping:
            await self._pending_ready.wait()
            self._pending_ready.clear()
            while self._pending and not self._stopping:
                client = self._client
                if client is None or not client.is_connected:
                    break  # reconnected_cb wakes us
                subject, payload, ident = self._pending[0]
                try:
                    await client.jetstream().publish(subject, payload, timeout=2,
                                                     headers={"Nats-Msg-Id": ident, NODE_HEADER: self.node})
                except (NatsError, JetStreamError, OSError, TimeoutError) as exc:
                    log.debug("bus: incident %s not acknowledged yet (%s)", ident, exc.__class__.__name__)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                self._pending.popleft()
                self.sent += 1
            if self._pending and not self._stopping:
                await asyncio.sleep(RETRY_SECONDS)
                self._pending_ready.set()

    async def _on_disconnect(self) -> None:
        self._connected.clear()
        if not self._stopping:
            log.warning("bus: node %s lost NATS; local events continue, incidents are held", self.node)

    async def _on_reconnect(self) -> None:
        self._connected.set()
        self._wake_sender()
        log.info("bus: node %s reconnected to NATS (%d incident(s) to send)", self.node, len(self._pending))

    async def _on_error(self, exc: Exception) -> None:
        log.debug("bus: NATS client: %s", exc.__class__.__name__)

    async def _shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            try:
                await self._client.drain()
            except (NatsError, OSError, TimeoutError):
                await self._client.close()

