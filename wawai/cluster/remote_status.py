"""The status of cameras that run on other nodes, as their owners announced it on the bus.

A cluster node's hub holds only the cameras it owns; the API still lists every camera. The owner's hub
publishes ``camera.status`` on every change and NATS brings it here: the last one per camera is what
``/api/cameras`` shows for a camera that does not run on this node (``ctx.services[REMOTE_STATUS_SERVICE]``).
A camera whose owner stops it (or moves it) reads ``offline`` until its next owner announces it. The hub
announces only changes, so when a node joins every owner announces its cameras again
(``on_node_joined``): a web node started after the cameras came online learns their state too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from wawai.bus import EventBus, Message, consume
from wawai.cluster.reporting import CAMERA_MOVED, NODE_JOINED

REMOTE_STATUS_SERVICE = "remote_camera_status"


class RemoteStatus:
    def __init__(self, bus: EventBus, on_node_joined: Callable[[], None] | None = None) -> None:
        self.bus = bus
        self.on_node_joined = on_node_joined
        self._lock = threading.Lock()
        self._last: dict[str, dict[str, Any]] = {}
        self._queue = bus.subscribe(maxsize=10_000)
        self._thread = threading.Thread(target=self._run, name="cluster-remote-status", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.bus.unsubscribe(self._queue)  # ends consume() once the queue is drained
        self._thread.join(timeout=5)

    def status(self, camera_id: str) -> dict[str, Any] | None:
        """The last status the camera's owner announced (as ``CameraStatus.to_json``), or None."""
        with self._lock:
            last = self._last.get(camera_id)
        return dict(last) if last is not None else None

    def note(self, message: Message) -> None:
        kind = message.get("type")
        if kind == NODE_JOINED and self.on_node_joined is not None:
            self.on_node_joined()
            return
        camera_id = message.get("camera_id")
        if not isinstance(camera_id, str):
            return
        if kind == "camera.status":
            status = {key: value for key, value in message.items() if key not in ("type", "camera")}
            with self._lock:
                self._last[camera_id] = status
        elif kind == CAMERA_MOVED and message.get("change") == "released":
            with self._lock:
                self._last[camera_id] = {"camera_id": camera_id, "state": "offline", "streams": {},
                                         "stages": {}}

    def _run(self) -> None:
        consume(self._queue, self.note)
