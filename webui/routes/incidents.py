"""Incidents: search (filters + pages), one incident, its snapshot. Camera access checked per object."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wawai.db.incidents import Incident
from wawai.db.users import User
from wawai.stage import StageContext
from webui.deps import Ctx, CurrentUser, DbSession, camera_for, visible_cameras
from webui.params import DB_INT_MAX, PageNumber, db_id_exists, page_or_400, utc_or_400

router = APIRouter()

MAX_PAGE = 200


@router.get("/api/incidents")
def list_incidents(
    user: CurrentUser,
    ctx: Ctx,
    db: DbSession,
    camera: str | None = None,
    rule: str | None = None,
    type: Annotated[str | None, Query(description="rule type: intrusion, loitering, ...")] = None,
    severity: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    """Newest first. ``since``/``until`` are ISO times on ``started_at`` (no zone: UTC)."""
    page = page_or_400(page)
    if camera is not None:
        allowed = [camera_for(user, camera, ctx).id]
    else:
        allowed = [cam.id for cam in visible_cameras(user, ctx)]
    query = select(Incident).where(Incident.camera_id.in_(allowed))
    for column, value in (
        (Incident.rule, rule), (Incident.type, type), (Incident.severity, severity), (Incident.status, status)
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(Incident.started_at >= utc_or_400(since, "since"))
    if until is not None:
        query = query.where(Incident.started_at < utc_or_400(until, "until"))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest_first = query.order_by(Incident.started_at.desc(), Incident.id.desc())
    rows = db.scalars(newest_first.offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": [row.to_json() for row in rows], "total": total, "page": page, "per_page": per_page}


@router.get("/api/incidents/{incident_id}")
def get_incident(incident_id: int, user: CurrentUser, ctx: Ctx, db: DbSession) -> dict[str, Any]:
    return _load(incident_id, user, ctx, db).to_json()


@router.get("/api/incidents/{incident_id}/snapshot.jpg")
def get_snapshot(incident_id: int, user: CurrentUser, ctx: Ctx, db: DbSession) -> FileResponse:
    incident = _load(incident_id, user, ctx, db)
    if not incident.snapshot_path:
        raise HTTPException(status_code=404, detail=f"incident {incident_id} has no snapshot")
    storage = ctx.storage.resolve()
    path = (storage / incident.snapshot_path).resolve()
    # The path comes from our own DB, but never serve anything outside the storage folder.
    if not path.is_relative_to(storage) or not path.is_file():
        raise HTTPException(status_code=404, detail=f"snapshot of incident {incident_id} is missing")
    return FileResponse(Path(path), media_type="image/jpeg")


def _load(incident_id: int, user: User, ctx: StageContext, db: Session) -> Incident:
    incident: Incident | None = db.get(Incident, incident_id) if db_id_exists(incident_id) else None
    camera = ctx.config.cameras.get(incident.camera_id) if incident is not None else None
    # Outside the user's groups (or of a removed camera) answers as missing: ids are not to be probed.
    if incident is None or camera is None or not user.may_see_group(camera.group):
        raise HTTPException(status_code=404, detail=f"no incident {min(incident_id, DB_INT_MAX + 1)}")
    return incident
