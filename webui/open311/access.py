"""Who calls the Open311 API: the app's ``api_key`` (403 when missing, wrong or revoked), and how often.

The rate limit is a sliding window per key, in this process (one node per site today; behind several
web nodes each node counts its own calls).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from sqlalchemy.orm import Session

from wawai.db.complaints import IntegrationKey
from wawai.integration_keys import key_for
from webui.open311.render import Open311Error

WINDOW_SECONDS = 60.0


def authenticate_key(db: Session, api_key: str | None) -> IntegrationKey:
    if not api_key:
        raise Open311Error(403, "api_key is required (ask the command center for one)")
    key = key_for(db, api_key)
    if key is None:
        raise Open311Error(403, "api_key is not valid (unknown or revoked)")
    return key


class KeyRateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._calls: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key_id: int) -> None:
        """Count one call; Open311Error(429, Retry-After) when the key is over its limit."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(key_id, deque())
            while calls and calls[0] <= now - WINDOW_SECONDS:
                calls.popleft()
            if len(calls) >= self.per_minute:
                wait = max(1, math.ceil(calls[0] + WINDOW_SECONDS - now))
                raise Open311Error(429, f"too many requests: at most {self.per_minute} a minute per api_key",
                                   headers={"Retry-After": str(wait)})
            calls.append(now)
