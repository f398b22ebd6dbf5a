"""The outbox: events that leave Wawai, and their delivery state per subscription.

``OutboxEvent`` rows are written in the same transaction as the change that causes them (see
wawai.outbox.enqueue). ``pk`` orders them; ``key`` ("incident:42", "camera:gate-north") names what they
are about, and deliveries keep that order per key. ``OutboxDelivery`` is one event for one subscription
("webhook:<name>", "mqtt"): attempts, last status, next try. ``OutboxSubscription`` holds what a
subscription remembers across restarts: how far it has taken events (``cursor``), whether a receiver
said 410 Gone, and how many attempts in a row failed.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wawai.db.base import Base, UTCDateTime, utcnow


class DeliveryState(StrEnum):
    PENDING = "pending"  # to be sent at next_try_at
    DELIVERED = "delivered"  # the receiver acknowledged it (2xx, MQTT PUBACK)
    FAILED = "failed"  # every retry of the schedule failed; replay sends it again


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_created", "created_at"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)  # the envelope's id, "evt_..."
    type: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    data_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def data(self) -> dict[str, Any]:
        value = json.loads(self.data_json)
        return value if isinstance(value, dict) else {}


class OutboxDelivery(Base):
    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        UniqueConstraint("event_pk", "subscription", name="uq_outbox_deliveries_event_subscription"),
        Index("ix_outbox_deliveries_subscription_state", "subscription", "state", "event_pk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("outbox_events.pk", ondelete="CASCADE"))
    subscription: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # since the last replay
    last_status: Mapped[str | None] = mapped_column(String(40), nullable=True)  # "200", "timeout", ...
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[OutboxEvent] = relationship(lazy="joined")


class OutboxSubscription(Base):
    __tablename__ = "outbox_subscriptions"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)  # highest OutboxEvent.pk already fanned out
    disabled_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)  # 410 Gone
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
