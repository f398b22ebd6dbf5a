"""The relay: one worker thread per subscription, delivering outbox events at least once, in order per key.

Each pass of a worker (1) fans out: events past the subscription's ``cursor`` that match its filter get a
delivery row, and the cursor moves, in one transaction; (2) sends what is due. Deliveries are taken in
event order; the first pending delivery of a key is its head and the key's later ones wait behind it,
so a receiver sees each incident's events in order even across retries and restarts. A failed attempt
sets ``next_try_at`` from the channel's RetryPolicy (or the receiver's Retry-After); a delivery whose
schedule is spent is ``failed`` and no longer holds its key. All state is in the database: a restarted
node carries on where the last one stopped (an attempt in flight at a crash is simply sent again, with
the same id).

A new subscription starts at the newest event: it does not receive the past unless replayed
(wawai.integrations.deliveries.replay_since).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from wawai.db.base import utcnow
from wawai.db.outbox import DeliveryState, OutboxDelivery, OutboxEvent, OutboxSubscription
from wawai.integrations.channel import Channel, Outcome
from wawai.outbox import envelope, new_events

log = logging.getLogger(__name__)

FAN_OUT_BATCH = 1000
SEND_BATCH = 500
# Delivery state is committed every COMMIT_EVERY deliveries or COMMIT_SECONDS, not after each one: a
# crash in between only sends those again with the same ids (at least once), and one commit per event
# cost more than the POST itself on SQLite.
COMMIT_EVERY = 50
COMMIT_SECONDS = 0.25


@dataclass(frozen=True)
class RelaySettings:
    poll_seconds: float = 1.0
    public_url: str | None = None


def absolute_links(data: dict[str, Any], public_url: str | None) -> dict[str, Any]:
    """``data`` with ``public_url`` in front of every path in ``links`` (unchanged when not set)."""
    links = data.get("links")
    if not public_url or not isinstance(links, dict):
        return data
    base = public_url.rstrip("/")
    fixed = {name: (base + value if isinstance(value, str) and value.startswith("/") else value)
             for name, value in links.items()}
    return {**data, "links": fixed}


def event_body(row: OutboxEvent, public_url: str | None) -> tuple[bytes, dict[str, Any]]:
    data = absolute_links(row.data, public_url)
    body = json.dumps(envelope(row, data), separators=(",", ":"), ensure_ascii=False).encode()
    return body, data


def subscription_row(session: Session, name: str) -> OutboxSubscription:
    """The subscription's row; created at the newest event (a new subscription gets no backlog)."""
    row = session.get(OutboxSubscription, name)
    if row is None:
        newest = session.scalar(select(func.max(OutboxEvent.pk))) or 0
        row = OutboxSubscription(name=name, cursor=newest, consecutive_failures=0, created_at=utcnow())
        session.add(row)
        session.flush()
    return row


class SubscriptionWorker:
    def __init__(self, channel: Channel, sessions: sessionmaker[Session], settings: RelaySettings,
                 stop: threading.Event) -> None:
        self.channel = channel
        self.sessions = sessions
        self.settings = settings
        self._stop = stop
        self.thread = threading.Thread(target=self._run, name=f"relay-{channel.name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)

    def _run(self) -> None:
        try:
            self.channel.start()
        except Exception:
            log.exception("%s: channel failed to start", self.channel.name)
        seen = new_events.generation
        while not self._stop.is_set():
            wait = self.settings.poll_seconds
            try:
                busy, next_due = self.step()
                if busy:
                    continue
                if next_due is not None:
                    wait = max(0.0, min(wait, (next_due - utcnow()).total_seconds()))
            except Exception:  # the database went away for a moment: try again at the next poll
                log.exception("%s: relay pass failed", self.channel.name)
            seen = new_events.wait(seen, wait)
        self.channel.close()

    def step(self) -> tuple[bool, datetime | None]:
        """One pass: fan out, then send what is due. (whether work was done, when the next try is due)."""
        with self.sessions() as session:
            sub = subscription_row(session, self.channel.name)
            fanned = self._fan_out(session, sub)
            session.commit()
            if sub.disabled_reason:
                return False, None
            return self._send_due(session, sub, fanned)

    def _fan_out(self, session: Session, sub: OutboxSubscription) -> int:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.pk > sub.cursor)
                               .order_by(OutboxEvent.pk).limit(FAN_OUT_BATCH)).all()
        now = utcnow()
        for row in rows:
            if self.channel.filter.matches(row.type, row.data):
                session.add(OutboxDelivery(event_pk=row.pk, subscription=sub.name,
                                           state=DeliveryState.PENDING.value, attempts=0, next_try_at=now,
                                           created_at=now))
        if rows:
            sub.cursor = rows[-1].pk
        return len(rows)

    def _send_due(self, session: Session, sub: OutboxSubscription,
                  fanned: int) -> tuple[bool, datetime | None]:
        pending = session.scalars(
            select(OutboxDelivery)
            .where(OutboxDelivery.subscription == sub.name,
                   OutboxDelivery.state == DeliveryState.PENDING.value)
            .order_by(OutboxDelivery.event_pk).limit(SEND_BATCH)
        ).all()
        blocked: set[str] = set()
        next_due: datetime | None = None
        sent = 0
        uncommitted, last_commit = 0, time.monotonic()
        for delivery in pending:
            if self._stop.is_set():
                break
            key = delivery.event.key
            if key in blocked:
                continue
            if delivery.next_try_at > utcnow():
                blocked.add(key)
                next_due = delivery.next_try_at if next_due is None else min(next_due, delivery.next_try_at)
                continue
            outcome = self._attempt(delivery)
            sent += 1
            self._record(session, sub, delivery, outcome)
            uncommitted += 1
            overdue = time.monotonic() - last_commit > COMMIT_SECONDS
            if outcome.disable or uncommitted >= COMMIT_EVERY or overdue:
                session.commit()
                uncommitted, last_commit = 0, time.monotonic()
            if outcome.disable:
                log.warning("%s: disabled: %s", sub.name, outcome.detail)
                return True, None
            if delivery.state == DeliveryState.PENDING.value:
                blocked.add(key)
                next_due = delivery.next_try_at if next_due is None else min(next_due, delivery.next_try_at)
        session.commit()
        busy = fanned > 0 or (sent > 0 and len(pending) == SEND_BATCH) or (sent > 0 and not blocked)
        return busy, next_due

    def _attempt(self, delivery: OutboxDelivery) -> Outcome:
        body, data = event_body(delivery.event, self.settings.public_url)
        try:
            return self.channel.deliver(delivery.event.event_id, delivery.event.type, body, data)
        except Exception as exc:  # a channel bug must not stop the relay; the delivery is retried
            log.exception("%s: delivery of %s raised", self.channel.name, delivery.event.event_id)
            return Outcome(False, "error", f"{type(exc).__name__}: {exc}"[:300])

    def _record(self, session: Session, sub: OutboxSubscription, delivery: OutboxDelivery,
                outcome: Outcome) -> None:
        now = utcnow()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status = outcome.status[:40]
        delivery.last_error = outcome.detail[:500] or None
        if outcome.ok:
            delivery.state = DeliveryState.DELIVERED.value
            delivery.delivered_at = now
            sub.consecutive_failures = 0
            sub.last_success_at = now
            return
        sub.consecutive_failures += 1
        sub.last_failure_at = now
        if outcome.disable:
            sub.disabled_reason = outcome.detail[:200]
            return
        delay = self.channel.retry.delay(delivery.attempts, outcome)
        if delay is None:
            delivery.state = DeliveryState.FAILED.value
            log.warning("%s: gave up on %s after %d attempts (%s)", sub.name, delivery.event.event_id,
                        delivery.attempts, outcome.status)
        else:
            delivery.next_try_at = now + timedelta(seconds=delay)


class Relay:
    """Starts a worker per channel; ``stop()`` ends them (an attempt in flight finishes first)."""

    def __init__(self, channels: list[Channel], sessions: sessionmaker[Session],
                 settings: RelaySettings) -> None:
        self._stop = threading.Event()
        self.sessions = sessions
        self.workers = [SubscriptionWorker(channel, sessions, settings, self._stop) for channel in channels]

    def start(self) -> None:
        # Subscriptions exist before start() returns: an event committed after it is never skipped.
        with self.sessions() as session:
            for worker in self.workers:
                subscription_row(session, worker.channel.name)
            session.commit()
        for worker in self.workers:
            worker.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        new_events.notify()
        for worker in self.workers:
            worker.join(timeout)
