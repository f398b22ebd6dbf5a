"""What the relay needs from a delivery channel (a webhook, the MQTT broker), and the filters."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from wawai.integrations.event_data import SEVERITY_RANK, event_group, event_severity


@dataclass(frozen=True)
class Outcome:
    """One attempt's result. ``status``: the HTTP status or a word ("timeout", "refused")."""

    ok: bool
    status: str
    detail: str = ""
    retry_after: float | None = None  # the receiver asked for this wait (429/503 Retry-After)
    disable: bool = False  # stop sending to this subscription (410 Gone)


@dataclass(frozen=True)
class EventFilter:
    events: frozenset[str] = frozenset()  # empty: all
    groups: frozenset[str] = frozenset()  # empty: all; events without a camera group pass
    min_severity: str | None = None  # events without a severity (camera.*) pass

    def matches(self, event_type: str, data: dict[str, Any]) -> bool:
        if self.events and event_type not in self.events:
            return False
        group = event_group(data)
        if self.groups and group is not None and group not in self.groups:
            return False
        severity = event_severity(data)
        if self.min_severity and severity is not None:
            return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[self.min_severity]
        return True


@dataclass(frozen=True)
class RetryPolicy:
    """Waits after failed attempts: ``schedule[n-1]`` after the n-th, scaled by 1 +- ``jitter``.

    With ``forever`` the last step repeats (MQTT: the broker comes back, nothing is given up);
    otherwise the delivery fails after ``len(schedule)`` retries.
    """

    schedule: tuple[float, ...]
    jitter: float = 0.0
    forever: bool = False
    retry_after_max: float = 86400.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempts: int, outcome: Outcome) -> float | None:
        """Seconds until the next try after ``attempts`` failed ones; None: give up."""
        if outcome.retry_after is not None:
            return min(max(outcome.retry_after, 0.0), self.retry_after_max)
        if attempts > len(self.schedule):
            if not self.forever or not self.schedule:
                return None
            base = self.schedule[-1]
        else:
            base = self.schedule[attempts - 1]
        return base * (1 + self.jitter * (2 * self.rng.random() - 1))


class Channel(Protocol):
    name: str  # the subscription: "webhook:<name>" or "mqtt"
    filter: EventFilter
    retry: RetryPolicy

    def start(self) -> None: ...

    def deliver(self, event_id: str, event_type: str, body: bytes, data: dict[str, Any]) -> Outcome: ...

    def close(self) -> None: ...
