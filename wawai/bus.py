"""In-process event bus: stages publish JSON-able messages, the WebSocket and others subscribe.

Message shape: ``{"type": "camera.status" | "incident.created" | "incident.updated" | ..., ...}``.
``publish`` may be called from any thread; each subscriber gets a bounded queue that drops the oldest
message when it is not read (a stuck browser never holds up a camera).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from wawai.queues import Closed, DropQueue

Message = dict[str, Any]


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[DropQueue[Message]] = []

    def subscribe(self, maxsize: int = 1000) -> DropQueue[Message]:
        queue: DropQueue[Message] = DropQueue(maxsize)
        with self._lock:
            self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: DropQueue[Message]) -> None:
        queue.close()
        with self._lock:
            if queue in self._subscribers:
                self._subscribers.remove(queue)

    def publish(self, message: Message) -> None:
        if "type" not in message:
            raise ValueError("a bus message needs a 'type'")
        with self._lock:
            subscribers = list(self._subscribers)
        for queue in subscribers:
            queue.put(message)


def consume(queue: DropQueue[Message], handle: Callable[[Message], None]) -> None:
    """Hand each message of a subscription to ``handle`` until the subscription is closed.

    For a reader thread's loop: ``unsubscribe`` ends it once the messages already queued are handled.
    """
    while True:
        try:
            message = queue.get()
        except Closed:
            return
        if message is not None:
            handle(message)
