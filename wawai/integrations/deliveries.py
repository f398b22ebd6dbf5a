"""Delivery state for people and monitoring: listing, replay, subscription health, /metrics figures.

A subscription is *failing* when it is disabled (410 Gone), has a delivery whose schedule is spent, or
its last ``failing_after`` attempts in a row failed. ``subscription_figures`` gives the same facts to
the admin page and to ``OutboxCollector`` (prometheus-client), which issue 9's ``GET /metrics`` registers
with ``REGISTRY.register(OutboxCollector(ctx.sessions, names, failing_after))``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from wawai.db.base import utcnow
from wawai.db.outbox import DeliveryState, OutboxDelivery, OutboxEvent, OutboxSubscription
from wawai.outbox import new_events


class SubscriptionFigures(BaseModel):
    """One subscription's health: the admin page's row (``GET /api/integrations/deliveries`` answers
    this model as it is) and the figures of ``OutboxCollector``."""

    model_config = ConfigDict(frozen=True)

    name: str
    configured: bool  # still in the config (False: only its old deliveries remain)
    failing: bool
    disabled_reason: str | None  # set by a 410 Gone until an admin enables it again
    consecutive_failures: int
    pending: int
    delivered: int
    failed: int
    last_success_at: str | None
    last_failure_at: str | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def subscription_figures(db: Session, configured: Sequence[str],
                         failing_after: int) -> list[SubscriptionFigures]:
    counts: dict[tuple[str, str], int] = {
        (name, state): int(count)
        for name, state, count in db.execute(
            select(OutboxDelivery.subscription, OutboxDelivery.state, func.count())
            .group_by(OutboxDelivery.subscription, OutboxDelivery.state))
    }
    rows = {row.name: row for row in db.scalars(select(OutboxSubscription))}
    figures = []
    for name in sorted(set(rows) | set(configured)):
        row = rows.get(name)
        failures = row.consecutive_failures if row else 0
        failed = counts.get((name, DeliveryState.FAILED.value), 0)
        disabled = row.disabled_reason if row else None
        figures.append(SubscriptionFigures(
            name=name, configured=name in configured,
            failing=bool(disabled) or failed > 0 or failures >= failing_after,
            disabled_reason=disabled, consecutive_failures=failures,
            pending=counts.get((name, DeliveryState.PENDING.value), 0),
            delivered=counts.get((name, DeliveryState.DELIVERED.value), 0), failed=failed,
            last_success_at=_iso(row.last_success_at) if row else None,
            last_failure_at=_iso(row.last_failure_at) if row else None,
        ))
    return figures


def delivery_json(delivery: OutboxDelivery) -> dict[str, Any]:
    event = delivery.event
    return {
        "id": delivery.id,
        "subscription": delivery.subscription,
        "event_id": event.event_id,
        "event_type": event.type,
        "key": event.key,
        "event_created_at": _iso(event.created_at),
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "last_attempt_at": _iso(delivery.last_attempt_at),
        "next_try_at": _iso(delivery.next_try_at) if delivery.state == DeliveryState.PENDING.value else None,
        "delivered_at": _iso(delivery.delivered_at),
    }


def list_deliveries(db: Session, *, subscription: str | None = None, state: str | None = None,
                    since: datetime | None = None, limit: int = 100, offset: int = 0
                    ) -> tuple[list[OutboxDelivery], int]:
    """Newest events first, and how many match in all."""
    query = select(OutboxDelivery).join(OutboxEvent)
    if subscription:
        query = query.where(OutboxDelivery.subscription == subscription)
    if state:
        query = query.where(OutboxDelivery.state == state)
    if since:
        query = query.where(OutboxEvent.created_at >= since)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(OutboxDelivery.event_pk.desc(), OutboxDelivery.id).offset(offset)
                      .limit(limit)).all()
    return list(rows), int(total)


def _reset(db: Session, where: Any) -> int:
    result = db.execute(update(OutboxDelivery).where(where).values(
        state=DeliveryState.PENDING.value, attempts=0, next_try_at=utcnow(), delivered_at=None))
    return int(getattr(result, "rowcount", 0) or 0)


def replay_delivery(db: Session, delivery_id: int) -> OutboxDelivery | None:
    """Send one delivery again (the same event id), in its key's order; the caller commits."""
    delivery = db.get(OutboxDelivery, delivery_id)
    if delivery is None:
        return None
    _reset(db, OutboxDelivery.id == delivery_id)
    db.refresh(delivery)
    return delivery


def replay_since(db: Session, since: datetime, subscriptions: Sequence[str],
                 matches: Callable[[str, str, dict[str, Any]], bool]) -> int:
    """Send every event since ``since`` again to ``subscriptions``; events a subscription never had
    (it was added later) get a delivery if they match its filter. Returns the deliveries queued."""
    events = db.scalars(select(OutboxEvent).where(OutboxEvent.created_at >= since)
                        .order_by(OutboxEvent.pk)).all()
    queued = 0
    now = utcnow()
    for name in subscriptions:
        have = set(db.scalars(select(OutboxDelivery.event_pk).join(OutboxEvent).where(
            OutboxDelivery.subscription == name, OutboxEvent.created_at >= since)))
        queued += _reset(db, OutboxDelivery.subscription.__eq__(name) & OutboxDelivery.event_pk.in_(have)) \
            if have else 0
        for event in events:
            if event.pk not in have and matches(name, event.type, event.data):
                db.add(OutboxDelivery(event_pk=event.pk, subscription=name, state=DeliveryState.PENDING.value,
                                      attempts=0, next_try_at=now, created_at=now))
                queued += 1
    return queued


def enable_subscription(db: Session, name: str) -> OutboxSubscription | None:
    row = db.get(OutboxSubscription, name)
    if row is not None:
        row.disabled_reason = None
        row.consecutive_failures = 0
    return row


def purge_events(db: Session, older_than: datetime) -> int:
    """Delete outbox events created before ``older_than`` with their deliveries; the caller commits.
    By then every retry schedule is long spent (the default one ends after about 3 days)."""
    old = select(OutboxEvent.pk).where(OutboxEvent.created_at < older_than).scalar_subquery()
    db.execute(delete(OutboxDelivery).where(OutboxDelivery.event_pk.in_(old)))
    result = db.execute(delete(OutboxEvent).where(OutboxEvent.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


def wake_relay() -> None:
    new_events.notify()


class OutboxCollector:
    """prometheus-client collector: per subscription ``wawai_integration_failing`` (1/0) and
    ``wawai_integration_deliveries{state}``, read from the database at scrape time."""

    def __init__(self, sessions: sessionmaker[Session], configured: Sequence[str],
                 failing_after: int) -> None:
        self.sessions = sessions
        self.configured = list(configured)
        self.failing_after = failing_after

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        failing = GaugeMetricFamily("wawai_integration_failing",
                                    "1 when a subscription keeps failing (or a receiver said 410)",
                                    labels=["subscription"])
        deliveries = GaugeMetricFamily("wawai_integration_deliveries", "Outbox deliveries by state",
                                       labels=["subscription", "state"])
        with self.sessions() as db:
            figures = subscription_figures(db, self.configured, self.failing_after)
        for fig in figures:
            failing.add_metric([fig.name], 1.0 if fig.failing else 0.0)
            for state in ("pending", "delivered", "failed"):
                deliveries.add_metric([fig.name, state], float(getattr(fig, state)))
        yield failing
        yield deliveries
