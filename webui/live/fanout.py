"""Fan-out of one packet stream to many viewers, keeping the GOP in progress for newcomers.

The hub does this for camera streams; the shared transcoder uses it for the stream it encodes, so
transcoded viewers get the same instant start and the same per-viewer GOP dropping.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from wawai.media import MediaPacket
from wawai.queues import DropQueue


def is_keyframe(packet: MediaPacket) -> bool:
    return packet.keyframe


@dataclass(eq=False)
class FanoutSubscription:
    queue: DropQueue[MediaPacket]
    name: str
    _fanout: GopFanout = field(repr=False)

    def close(self) -> None:
        self._fanout.unsubscribe(self)


class GopFanout:
    def __init__(self, max_gop: int = 600) -> None:
        self._lock = threading.Lock()
        self._gop: list[MediaPacket] = []
        self._max_gop = max_gop  # bound the memory of a stream whose keyframes stop coming
        self._subscribers: list[FanoutSubscription] = []

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish(self, packet: MediaPacket) -> None:
        with self._lock:
            if packet.keyframe:
                self._gop = [packet]
            elif self._gop and len(self._gop) < self._max_gop:
                self._gop.append(packet)
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.queue.put(packet)

    def subscribe(self, name: str, maxsize: int) -> FanoutSubscription:
        subscription = FanoutSubscription(DropQueue(maxsize, is_keyframe=is_keyframe), name, self)
        with self._lock:
            for packet in self._gop:
                subscription.queue.put(packet)
            self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: FanoutSubscription) -> None:
        subscription.queue.close()
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    def close(self) -> None:
        with self._lock:
            subscribers, self._subscribers = self._subscribers, []
            self._gop = []
        for subscriber in subscribers:
            subscriber.queue.close()
