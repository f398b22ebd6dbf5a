"""A bounded, thread-safe queue that never blocks the producer.

Ingest threads put; consumers take either from a thread (``get``) or from asyncio (``get_async``).
When the queue is full the oldest item is dropped (or, for GOP-aware consumers, everything up to the next
keyframe is dropped, see ``drop_until_keyframe``) and the drop is counted, so a slow consumer never
stalls the camera or another consumer.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Closed(Exception):
    """The queue was closed and is empty."""


class DropQueue(Generic[T]):
    def __init__(self, maxsize: int, *, is_keyframe: Callable[[T], bool] | None = None) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.dropped = 0
        self.delivered = 0
        self._is_keyframe = is_keyframe
        self._items: deque[T] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._skip_to_keyframe = False  # a GOP drop emptied the queue: wait for the next keyframe
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, item: T) -> None:
        with self._cond:
            if self._closed:
                return
            keyframe = self._is_keyframe is not None and self._is_keyframe(item)
            if len(self._items) >= self.maxsize:
                self._make_room()
            if self._skip_to_keyframe and not keyframe:
                self.dropped += 1
                return
            self._skip_to_keyframe = False
            self._items.append(item)
            self._cond.notify()
            self._wake_async()

    def _make_room(self) -> None:
        if self._is_keyframe is None:
            self._items.popleft()
            self.dropped += 1
            return
        # Drop whole GOPs: a decoder fed a partial GOP shows garbage until the next keyframe anyway.
        self._items.popleft()
        self.dropped += 1
        while self._items and not self._is_keyframe(self._items[0]):
            self._items.popleft()
            self.dropped += 1
        # With the whole queue gone, what follows is the rest of a GOP whose keyframe was dropped.
        self._skip_to_keyframe = not self._items

    def _wake_async(self) -> None:
        waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            loop.call_soon_threadsafe(_resolve, fut)

    def get(self, timeout: float | None = None) -> T | None:
        """Next item, or None after ``timeout`` seconds. Raises Closed once closed and drained."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            if self._items:
                self.delivered += 1
                return self._items.popleft()
            if self._closed:
                raise Closed
            return None

    async def get_async(self) -> T:
        loop = asyncio.get_running_loop()
        while True:
            with self._cond:
                if self._items:
                    self.delivered += 1
                    return self._items.popleft()
                if self._closed:
                    raise Closed
                fut: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, fut))
            await fut

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            self._wake_async()


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
