"""Packet fan-out of one stream to its subscribers, each with its own bounded DropQueue."""

from __future__ import annotations

import threading
from collections.abc import Callable

from wawai.media import MediaPacket
from wawai.queues import DropQueue

GOP_LIMIT = 1500  # packets kept for with_current_gop; a longer GOP is not replayed (memory bound)


def is_video_keyframe(packet: MediaPacket) -> bool:
    return packet.kind == "video" and packet.keyframe


class PacketSubscriptionHandle:
    """A consumer's view of a stream: its queue, and close() to leave."""

    def __init__(
        self, name: str, queue: DropQueue[MediaPacket], on_close: Callable[[PacketSubscriptionHandle], None]
    ) -> None:
        self.name = name
        self.queue = queue
        self.started = False  # becomes True at the first keyframe it receives
        self._on_close = on_close

    def close(self) -> None:
        self.queue.close()
        self._on_close(self)


class PacketFanout:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[PacketSubscriptionHandle] = []
        self._gop: list[MediaPacket] = []

    def subscribe(
        self, name: str, *, maxsize: int, with_current_gop: bool, drop_gops: bool
    ) -> PacketSubscriptionHandle:
        queue: DropQueue[MediaPacket] = DropQueue(
            maxsize, is_keyframe=is_video_keyframe if drop_gops else None
        )
        handle = PacketSubscriptionHandle(name, queue, self._remove)
        with self._lock:
            # Replay only a GOP that fits: a partial one would start without its keyframe.
            if with_current_gop and self._gop and len(self._gop) <= maxsize:
                for packet in self._gop:
                    queue.put(packet)
                handle.started = True
            self._subscribers.append(handle)
        return handle

    def _remove(self, handle: PacketSubscriptionHandle) -> None:
        with self._lock:
            if handle in self._subscribers:
                self._subscribers.remove(handle)

    def publish(self, packet: MediaPacket) -> None:
        with self._lock:
            if is_video_keyframe(packet):
                self._gop = [packet]
            elif self._gop:
                self._gop.append(packet)
                if len(self._gop) > GOP_LIMIT:
                    self._gop = []
            subscribers = list(self._subscribers)
        for handle in subscribers:
            if not handle.started:
                if not is_video_keyframe(packet):
                    continue
                handle.started = True
            handle.queue.put(packet)

    def discontinuity(self) -> None:
        """The source reconnected: the GOP in progress can no longer be completed."""
        with self._lock:
            self._gop = []

    def drops(self) -> dict[str, int]:
        with self._lock:
            subscribers = list(self._subscribers)
        result: dict[str, int] = {}
        for handle in subscribers:
            result[handle.name] = result.get(handle.name, 0) + handle.queue.dropped
        return result

    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def close_all(self) -> None:
        with self._lock:
            subscribers, self._subscribers = self._subscribers, []
        for handle in subscribers:
            handle.queue.close()
