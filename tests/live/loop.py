"""Run a coroutine on a fresh event loop in its own thread.

Playwright's sync API keeps an event loop running in the main thread once a browser test has run, so
``asyncio.run`` there fails; these tests drive aiortc on a loop of their own instead.
"""

from __future__ import annotations

from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_fresh(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-loop") as pool:
        return pool.submit(asyncio.run, coro).result()
