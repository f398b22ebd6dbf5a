"""Bounded pools for heavy blocking work (clip exports, argon2 sign-ins), apart from the request threads.

Web requests run their blocking parts in one shared thread pool; 50 clip exports or 120 argon2 checks
there held ``/api/health`` for tens of seconds. A ``WorkPool`` has its own threads, admits at most
``workers + queue`` jobs (and at most ``per_key`` per key, e.g. per user), and refuses the rest at once
with ``PoolFull`` so the caller can answer 429/503 with ``Retry-After`` instead of queueing forever.

    pool = WorkPool("exports", workers=2, queue=8, per_key=2)
    result = await pool.run(export_clip, camera, start, end, key=user.name)   # raises PoolFull

Used by the web app's sign-in and its exports: clip exports and the incident workflow's evidence
packages share one export pool (one limit for all exports of a node, per user and in total).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class PoolFull(Exception):
    """The pool (or this key's share of it) is full; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WorkPool:
    def __init__(
        self, name: str, *, workers: int, queue: int, per_key: int | None = None, retry_after: int = 5
    ) -> None:
        self.name = name
        self.workers = workers
        self.capacity = workers + queue
        self.per_key = per_key
        self.retry_after = retry_after
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"pool-{name}")
        self._lock = threading.Lock()
        self._admitted = 0
        self._by_key: Counter[str] = Counter()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"admitted": self._admitted, "capacity": self.capacity, "workers": self.workers}

    def _admit(self, key: str | None) -> None:
        with self._lock:  # check and take the slot in one step
            if key is not None and self.per_key is not None and self._by_key[key] >= self.per_key:
                raise PoolFull(f"at most {self.per_key} {self.name} at a time each; wait for yours",
                               self.retry_after)
            if self._admitted >= self.capacity:
                raise PoolFull(f"the server is busy with {self.name}; try again shortly", self.retry_after)
            self._admitted += 1
            if key is not None:
                self._by_key[key] += 1

    def _release(self, key: str | None) -> None:
        with self._lock:
            self._admitted -= 1
            if key is not None:
                self._by_key[key] -= 1
                if self._by_key[key] <= 0:
                    del self._by_key[key]

    async def run(self, fn: Callable[..., T], *args: Any, key: str | None = None) -> T:
        """``fn(*args)`` on one of the pool's threads; raises PoolFull at once when there is no room."""
        self._admit(key)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self._release(key)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
