"""CAP 1.2 feed of public-safety incidents (integrations.cap): Atom list and one alert per incident.

Behind sign-in like every route (a department's app uses an API token); camera groups checked per
incident. 404 with a one-line reason when CAP is off or the incident is not public-safety.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from sqlalchemy import select

from wawai.db.base import utcnow
from wawai.db.incidents import Incident
from wawai.integrations.cap import alert_xml, atom_feed, is_public_safety
from wawai.integrations.event_data import SEVERITY_RANK, camera_info
from wawai.stage import StageContext
from webui.deps import Ctx, CurrentUser, DbSession, incident_for, visible_cameras

router = APIRouter()

CAP_TYPE = "application/cap+xml"
ATOM_TYPE = "application/atom+xml"
XML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {CAP_TYPE: {}}, "description": "a CAP 1.2 alert"}}
ATOM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {ATOM_TYPE: {}}, "description": "an Atom feed of CAP alerts"}}


def _enabled(ctx: StageContext) -> None:
    if not ctx.config.site.integrations.cap.enabled:
        raise HTTPException(status_code=404, detail="the CAP feed is off (integrations.cap.enabled: true)")


def _base(ctx: StageContext) -> str:
    return (ctx.config.site.integrations.public_url or "").rstrip("/")


@router.get("/api/cap/feed.atom", response_class=Response, responses=ATOM_RESPONSE)
def cap_feed(user: CurrentUser, ctx: Ctx, db: DbSession) -> Response:
    _enabled(ctx)
    cap = ctx.config.site.integrations.cap
    cameras = [cam.id for cam in visible_cameras(user, ctx)]
    severe = [name for name, rank in SEVERITY_RANK.items() if rank >= SEVERITY_RANK[cap.min_severity]]
    query = select(Incident).where(Incident.camera_id.in_(cameras), Incident.severity.in_(severe))
    if cap.rules:
        query = query.where(Incident.rule.in_(cap.rules) | Incident.type.in_(cap.rules))
    chosen = db.scalars(query.order_by(Incident.created_at.desc(), Incident.id.desc())
                        .limit(cap.feed_limit)).all()
    base = _base(ctx)
    zone = ZoneInfo(ctx.config.site.site.timezone)
    updated = max((row.created_at for row in chosen), default=utcnow())
    body = atom_feed([(row, f"{base}/api/cap/{row.id}.xml") for row in chosen], cap, zone,
                     site_name=ctx.config.site.site.name, feed_url=f"{base}/api/cap/feed.atom",
                     updated=updated)
    return Response(body, media_type=ATOM_TYPE)


@router.get("/api/cap/{incident_id}.xml", response_class=Response, responses=XML_RESPONSE)
def cap_alert(incident_id: int, user: CurrentUser, ctx: Ctx, db: DbSession) -> Response:
    _enabled(ctx)
    incident = incident_for(user, incident_id, ctx, db)
    cap = ctx.config.site.integrations.cap
    if not is_public_safety(incident, cap):
        raise HTTPException(status_code=404, detail=f"incident {incident_id} is not public-safety "
                                                    "(integrations.cap.min_severity / rules)")
    if incident.camera_id is not None:
        info = camera_info(ctx.config.cameras.get(incident.camera_id), incident.camera_id)
        location = info.get("location") or {}
        lat, lon = location.get("lat"), location.get("lon")
    else:  # a public report: the place it was reported at
        place = incident.complaint
        info = {"id": None, "name": place.address if place else None, "group": incident.group_name}
        lat, lon = (place.lat, place.lon) if place is not None else (None, None)
    body = alert_xml(incident, info, cap, ZoneInfo(ctx.config.site.site.timezone),
                     site_name=ctx.config.site.site.name, web_url=f"{_base(ctx)}/api/incidents/{incident.id}",
                     lat=float(lat) if lat is not None else None, lon=float(lon) if lon is not None else None)
    return Response(body, media_type=CAP_TYPE)
