"""Incidents: search (filters + pages), one incident (marks it seen), its snapshot and its history.

Access is checked on the loaded incident (webui.deps.incident_for): the camera's group, or for a
camera-less incident (a complaint) its department. A complaint with a place also lists the cameras near it
that the user may see, best first. The workflow actions are in incident_actions.py, evidence in
incident_evidence.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wawai import incident_workflow
from wawai.db.base import utcnow
from wawai.db.incidents import IncidentSeen
from wawai.geo import nearest_cameras
from webui.deps import Ctx, CurrentUser, DbSession, incident_for, visible_cameras
from webui.incident_filters import IncidentFilter, incident_query, newest_first, present, seen_ids
from webui.models import HistoryEntry, IncidentInfo, IncidentPage, binary
from webui.params import PageNumber, page_or_400

router = APIRouter()

MAX_PAGE = 200


@router.get("/api/incidents", response_model=IncidentPage, response_model_exclude_unset=True)
def list_incidents(
    user: CurrentUser,
    ctx: Ctx,
    db: DbSession,
    wanted: Annotated[IncidentFilter, Query()],
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    """Newest first, within the user's departments; ``seen`` is the caller's own mark."""
    page = page_or_400(page)
    query = incident_query(user, ctx, wanted)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(newest_first(query).offset((page - 1) * per_page).limit(per_page)).all()
    seen = seen_ids(db, user, [row.id for row in rows])
    return {"items": [present(row, ctx, row.id in seen) for row in rows], "total": total, "page": page,
            "per_page": per_page}


@router.get("/api/incidents/{incident_id}", response_model=IncidentInfo, response_model_exclude_unset=True)
def get_incident(incident_id: int, user: CurrentUser, ctx: Ctx, db: DbSession) -> dict[str, Any]:
    """One incident, with the actions the caller may take now; opening it sets the caller's seen mark."""
    incident = incident_for(user, incident_id, ctx, db)
    if db.get(IncidentSeen, (user.id, incident.id)) is None:
        db.add(IncidentSeen(user_id=user.id, incident_id=incident.id, at=utcnow()))
        try:
            db.commit()
        except IntegrityError:  # the same user opened it twice at once
            db.rollback()
    data = present(incident, ctx, seen=True)
    data["actions"] = incident_workflow.allowed_actions(incident, user)
    place = incident.complaint
    if place is not None and place.lat is not None and place.lon is not None:
        radius = ctx.config.site.complaints.camera_radius_m
        nearby = nearest_cameras(visible_cameras(user, ctx), place.lat, place.lon, radius)
        data["camera_radius_m"] = radius
        data["nearest_cameras"] = [
            {"id": near.camera_id, "name": near.name, "distance_m": near.distance_m, "covers": near.covers}
            for near in nearby
        ]
    return data


@router.get("/api/incidents/{incident_id}/history", response_model=list[HistoryEntry])
def get_history(incident_id: int, user: CurrentUser, ctx: Ctx, db: DbSession) -> list[dict[str, Any]]:
    """Every workflow change, oldest first: who, when, from, to, note."""
    incident = incident_for(user, incident_id, ctx, db)
    return [entry.to_json() for entry in incident_workflow.history(db, incident.id)]


@router.get("/api/incidents/{incident_id}/snapshot.jpg", response_class=FileResponse,
            responses=binary("image/jpeg", "the snapshot, boxes drawn"))
def get_snapshot(incident_id: int, user: CurrentUser, ctx: Ctx, db: DbSession) -> FileResponse:
    incident = incident_for(user, incident_id, ctx, db)
    if not incident.snapshot_path:
        raise HTTPException(status_code=404, detail=f"incident {incident_id} has no snapshot")
    storage = ctx.storage.resolve()
    path = (storage / incident.snapshot_path).resolve()
    # The path comes from our own DB, but never serve anything outside the storage folder.
    if not path.is_relative_to(storage) or not path.is_file():
        raise HTTPException(status_code=404, detail=f"snapshot of incident {incident_id} is missing")
    return FileResponse(Path(path), media_type="image/jpeg")
