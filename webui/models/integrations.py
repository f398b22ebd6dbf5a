"""The integrations API: deliveries, subscriptions' health, replay."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from wawai.integrations.deliveries import SubscriptionFigures


class Delivery(BaseModel):
    id: int
    subscription: str
    event_id: str
    event_type: str
    key: str
    event_created_at: str | None
    state: str
    attempts: int
    last_status: str | None
    last_error: str | None
    last_attempt_at: str | None
    next_try_at: str | None
    delivered_at: str | None


class DeliveryPage(BaseModel):
    items: list[Delivery]
    total: int
    subscriptions: list[SubscriptionFigures]
    timezone: str = Field(description="site.timezone, for showing the times")


class ReplayRequest(BaseModel):
    since: datetime = Field(description="ISO 8601; without a zone: UTC")
    subscription: str | None = Field(default=None, description="one subscription; none: every configured one")


class ReplayAnswer(BaseModel):
    queued: int
