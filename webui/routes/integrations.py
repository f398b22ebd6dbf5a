"""Integrations API: the event schema, delivery state per subscription, replay (admin).

GET  /api/integrations/schema.json                    the envelope's JSON Schema (any signed-in user)
GET  /api/integrations/deliveries                     admin: deliveries (filters) + subscriptions' health
POST /api/integrations/deliveries/{id}/replay         admin: send one delivery again
POST /api/integrations/replay                         admin: send everything since a time again
POST /api/integrations/subscriptions/{name}/enable    admin: resume a subscription disabled by 410
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from wawai import audit
from wawai.db.outbox import DeliveryState
from wawai.integrations import deliveries as store
from wawai.integrations.deliveries import SubscriptionFigures
from wawai.integrations.schema import envelope_schema
from wawai.integrations.service import build_channels, subscription_names
from wawai.stage import StageContext
from webui.deps import AdminUser, Ctx, CurrentUser, DbSession
from webui.models import Delivery, DeliveryPage, EventSchema, ReplayAnswer, ReplayRequest
from webui.params import DB_INT_MAX, db_id_exists, utc_or_400

router = APIRouter()


def _subscriptions(ctx: StageContext, db: DbSession) -> list[SubscriptionFigures]:
    section = ctx.config.site.integrations
    return store.subscription_figures(db, subscription_names(ctx.config), section.failing_after)


@router.get("/api/integrations/schema.json", response_model=EventSchema)
def event_schema(user: CurrentUser) -> dict[str, Any]:
    return envelope_schema()


@router.get("/api/integrations/deliveries", response_model=DeliveryPage)
def deliveries(
    user: AdminUser, ctx: Ctx, db: DbSession,
    subscription: str | None = None,
    state: Annotated[DeliveryState | None, Query()] = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DeliveryPage:
    if offset > DB_INT_MAX:  # past 64 bits the driver raises instead of finding none
        raise HTTPException(status_code=400, detail=f"offset is at most {DB_INT_MAX}")
    rows, total = store.list_deliveries(db, subscription=subscription, state=state.value if state else None,
                                        since=utc_or_400(since, "since") if since else None, limit=limit,
                                        offset=offset)
    return DeliveryPage(items=[Delivery(**store.delivery_json(row)) for row in rows], total=total,
                        subscriptions=_subscriptions(ctx, db), timezone=ctx.config.site.site.timezone)


@router.post("/api/integrations/deliveries/{delivery_id}/replay", response_model=Delivery)
def replay_one(delivery_id: int, user: AdminUser, db: DbSession) -> Delivery:
    delivery = store.replay_delivery(db, delivery_id) if db_id_exists(delivery_id) else None
    if delivery is None:
        raise HTTPException(status_code=404, detail=f"no delivery {delivery_id}")
    audit.record(db, user.name, "integrations.replay", delivery=delivery_id,
                 subscription=delivery.subscription, event_id=delivery.event.event_id)
    db.commit()
    store.wake_relay()
    return Delivery(**store.delivery_json(delivery))


@router.post("/api/integrations/replay", response_model=ReplayAnswer)
def replay_since(body: ReplayRequest, user: AdminUser, ctx: Ctx, db: DbSession) -> ReplayAnswer:
    configured = subscription_names(ctx.config)
    if body.subscription is not None and body.subscription not in configured:
        raise HTTPException(status_code=404, detail=f"no configured subscription {body.subscription!r}")
    names = [body.subscription] if body.subscription else configured
    filters = {channel.name: channel.filter for channel in build_channels(ctx.config)}
    since = utc_or_400(body.since, "since")
    queued = store.replay_since(db, since, names,
                                lambda name, kind, data: filters[name].matches(kind, data))
    audit.record(db, user.name, "integrations.replay", since=since.isoformat(),
                 subscriptions=names, queued=queued)
    db.commit()
    store.wake_relay()
    return ReplayAnswer(queued=queued)


@router.post("/api/integrations/subscriptions/{name}/enable", response_model=SubscriptionFigures)
def enable(name: str, user: AdminUser, ctx: Ctx, db: DbSession) -> SubscriptionFigures:
    if store.enable_subscription(db, name) is None:
        raise HTTPException(status_code=404, detail=f"no subscription {name!r}")
    audit.record(db, user.name, "integrations.enable", subscription=name)
    db.commit()
    store.wake_relay()
    return next(sub for sub in _subscriptions(ctx, db) if sub.name == name)
