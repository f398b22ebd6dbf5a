"""The incident workflow over HTTP: one POST per action, notes, priority, and bulk actions.

``POST /api/incidents/{id}/acknowledge | assign | hold | resolve | false-alarm | reopen`` with
``{"note": "..."}`` (assign: ``{"user": NAME}``), ``/notes`` (a note, no change), ``/priority``
(``{"priority": "high"}``), ``/lock`` and ``/unlock`` (evidence). 409 for an invalid transition, 403 for a
role that may not, both with a one-line reason. Each change is pushed as ``incident.updated`` after the
commit. ``POST /api/incidents/bulk`` applies one action to every incident a filter matches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from wawai import incident_workflow
from wawai.db.incidents import Incident
from wawai.db.users import User
from wawai.incident_events import UPDATED, publish_incident
from wawai.incident_workflow import ACTION_PATHS, ACTIONS, MAX_NOTE, WorkflowError
from wawai.stage import StageContext
from webui.deps import Ctx, CurrentUser, DbSession, incident_for, incident_visible
from webui.incident_filters import StrictIncidentFilter, incident_query, newest_first, present
from webui.models import BulkAnswer, IncidentInfo

router = APIRouter()

MAX_BULK = 1000


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=MAX_NOTE)
    user: str | None = Field(default=None, max_length=100)  # assign
    priority: str | None = Field(default=None, max_length=20)


class BulkBody(ActionBody):
    action: str
    filter: StrictIncidentFilter = StrictIncidentFilter()


def _do(db: Any, incident: Incident, action: str, user: User, body: ActionBody, ctx: StageContext) -> None:
    try:
        incident_workflow.apply(db, incident, action, user, note=body.note, assignee=body.user,
                                priority=body.priority, may_see=_seer(incident, ctx))
    except WorkflowError as exc:
        db.rollback()
        raise HTTPException(status_code=exc.status_code, detail=str(exc)) from exc


def _seer(incident: Incident, ctx: StageContext) -> Callable[[User], bool]:
    return lambda someone: incident_visible(someone, incident, ctx)


def _one(action: str) -> Any:
    def handler(incident_id: int, user: CurrentUser, ctx: Ctx, db: DbSession,
                body: ActionBody | None = None) -> dict[str, Any]:
        incident = incident_for(user, incident_id, ctx, db)
        _do(db, incident, action, user, body or ActionBody(), ctx)
        db.commit()
        record = present(incident, ctx)
        publish_incident(ctx.bus, UPDATED, record, action=action, actor=user.name)
        record["actions"] = incident_workflow.allowed_actions(incident, user)
        return record

    handler.__name__ = f"incident_{action}"
    handler.__doc__ = f"Workflow action {action!r} on one incident."
    return handler


for _action, _path in ACTION_PATHS.items():
    router.add_api_route(f"/api/incidents/{{incident_id}}/{_path}", _one(_action), methods=["POST"],
                         response_model=IncidentInfo, response_model_exclude_unset=True)


@router.post("/api/incidents/bulk", response_model=BulkAnswer)
def bulk(body: BulkBody, user: CurrentUser, ctx: Ctx, db: DbSession) -> dict[str, Any]:
    """One action with one note on every incident the filter matches (within the user's departments), in
    one transaction; incidents the action does not fit (already resolved, say) are listed as skipped."""
    spec = ACTIONS.get(body.action.replace("-", "_"))
    if spec is None or spec.name in ("lock", "unlock"):
        raise HTTPException(status_code=422, detail=f"unknown bulk action {body.action!r}")
    if not user.has_role(spec.role):
        raise HTTPException(status_code=403, detail=f"{spec.name} needs the {spec.role.value} role")
    query = incident_query(user, ctx, body.filter)
    count = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    if count > MAX_BULK:
        raise HTTPException(status_code=422,
                            detail=f"the filter matches {count} incidents; narrow it to {MAX_BULK} or fewer")
    applied: list[Incident] = []
    skipped: list[dict[str, Any]] = []
    for incident in db.scalars(newest_first(query)).all():
        try:
            # apply() checks everything before it changes anything, so a refusal leaves nothing to undo.
            incident_workflow.apply(db, incident, spec.name, user, note=body.note, assignee=body.user,
                                    priority=body.priority, may_see=_seer(incident, ctx))
            applied.append(incident)
        except WorkflowError as exc:
            if exc.status_code != 409:
                db.rollback()
                raise HTTPException(status_code=exc.status_code, detail=str(exc)) from exc
            skipped.append({"id": incident.id, "reason": str(exc)})
    db.commit()
    _announce(ctx, applied, spec.name, user)
    return {"action": spec.name, "applied": [i.id for i in applied], "skipped": skipped}


def _announce(ctx: StageContext, incidents: list[Incident], action: str, user: User) -> None:
    for incident in incidents:
        publish_incident(ctx.bus, UPDATED, present(incident, ctx), action=action, actor=user.name)
