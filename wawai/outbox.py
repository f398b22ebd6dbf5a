"""The durable outbox: every event that leaves Wawai (webhooks, MQTT) is written here first.

Producers call ``enqueue`` with their own session, before their own ``commit``, so the event row and the
change that causes it are one transaction: a crash between the two cannot lose or invent an event. The
relay (wawai.integrations.relay) delivers from here to every matching subscription, at least once, in
order per ``key``, with the same envelope ``id`` on every retry.

How producers call it (issues 10 and 12 wire theirs the same way)::

    from wawai.integrations.event_data import incident_data
    from wawai.outbox import enqueue

    with sessions() as session:
        incident.status = "acknowledged"                    # the change
        enqueue(session, "incident.updated", incident_data(incident, camera),
                key=f"incident:{incident.id}")              # the event, same transaction
        session.commit()

    # complaints (issue 12): key=f"complaint:{complaint.id}", types complaint.created / complaint.updated,
    # data = {"complaint": {...thin fields...}, "links": {...}} (no reporter's personal data).
    # escalations (issue 10): "incident.escalated" with the incident's key, so it stays in order.

Event types are the contract in ``EVENT_TYPES``; the envelope is ``{type, id, timestamp, data}``
(schema: wawai.integrations.schema, served at GET /api/integrations/schema.json).
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from wawai.db.base import utcnow
from wawai.db.outbox import OutboxEvent

EVENT_TYPES: tuple[str, ...] = (
    "incident.created",
    "incident.updated",
    "incident.escalated",
    "camera.offline",
    "camera.online",
    "complaint.created",
    "complaint.updated",
)


class NewEvents:
    """Wakes the relay's workers when a transaction holding events commits in this process (other
    processes' events are found by polling)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    @property
    def generation(self) -> int:
        with self._cond:
            return self._generation

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until something newer than generation ``seen`` committed, or ``timeout``; the generation."""
        with self._cond:
            if self._generation == seen:
                self._cond.wait(timeout)
            return self._generation


new_events = NewEvents()
_LISTENING = "wawai.outbox.listening"


def _after_commit(session: Session) -> None:
    if session.info.pop("wawai.outbox.pending", False):
        new_events.notify()


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def enqueue(session: Session, event_type: str, data: dict[str, Any], *, key: str) -> OutboxEvent:
    """Add one event to ``session`` (the caller commits). ``key`` orders deliveries ("incident:42")."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r} (one of {', '.join(EVENT_TYPES)})")
    if not key:
        raise ValueError("an outbox event needs an ordering key such as 'incident:42'")
    row = OutboxEvent(
        event_id=new_event_id(), type=event_type, key=key,
        data_json=json.dumps(data, default=str, separators=(",", ":")), created_at=utcnow(),
    )
    session.add(row)
    if not session.info.get(_LISTENING):
        sa_event.listen(session, "after_commit", _after_commit)
        session.info[_LISTENING] = True
    session.info["wawai.outbox.pending"] = True
    return row


def envelope(row: OutboxEvent, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The envelope every channel sends: the same ``id`` and ``timestamp`` on every retry."""
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return {
        "type": row.type,
        "id": row.event_id,
        "timestamp": created.astimezone(UTC).isoformat(timespec="milliseconds"),
        "data": row.data if data is None else data,
    }
