"""Incidents: search (filters + pages), one incident (marks it seen), its snapshot and its history.

Access is checked on the loaded incident (webui.deps.incident_for); the workflow actions are in
incident_actions.py, evidence in incident_evidence.py.
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
from webui.deps import Ctx, CurrentUser, DbSession, incident_for
from webui.incident_filters import IncidentFilter, incident_query, newest_first, present, seen_ids

router = APIRouter()

MAX_PAGE = 200


@router.get("/api/incidents")
def list_incidents(
    user: CurrentUser,
    ctx: Ctx,
    db: DbSession,
    wanted: Annotated[IncidentFilter, Query()],
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    """Newest first, within the user's departments; ``seen`` is the caller's own mark."""
    query = incident_query(user, ctx, wanted)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(newest_first(query).offset((page - 1) * per_page).limit(per_page)).all()
    seen = seen_ids(db, user, [row.id for row in rows])
    return {"items": [present(row, ctx, row.id in seen) for row in rows], "total": total, "page": page,
            "per_page": per_page}


@router.get("/api/incidents/{incident_id}")
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
    return data


@router.get("/api/incidents/{incident_id}/history")
def get_history(incident_id: int, user: CurrentUser, ctx: Ctx, db: DbSession) -> list[dict[str, Any]]:
    """Every workflow change, oldest first: who, when, from, to, note."""
    incident = incident_for(user, incident_id, ctx, db)
    return [entry.to_json() for entry in incident_workflow.history(db, incident.id)]


@router.get("/api/incidents/{incident_id}/snapshot.jpg")
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
