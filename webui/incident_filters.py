"""The incident filters the queue, the list API and bulk actions share, as one query builder.

Every filter is optional; ``since``/``until`` are ISO times on ``started_at`` (no zone: UTC). The query
is always limited to the cameras the user may see, and camera-less incidents (complaints) to the user's
departments, so a filter can never reach past a department.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select

from wawai.db.incidents import Incident, IncidentSeen, IncidentStatus
from wawai.db.users import Role, User
from wawai.stage import StageContext
from webui.deps import camera_for, visible_cameras
from webui.params import utc_or_400

STATUSES = {status.value for status in IncidentStatus}


class IncidentFilter(BaseModel):
    camera: str | None = None
    group: str | None = None  # a department
    rule: str | None = None
    type: str | None = Field(default=None, description="rule type: intrusion, loitering, ...")
    severity: str | None = None
    priority: str | None = None
    status: str | None = Field(default=None, description="one status, or several separated by commas")
    assignee: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    seen: bool | None = None  # by the calling user
    overdue: bool | None = None


class StrictIncidentFilter(IncidentFilter):
    """The same filters in a JSON body (bulk), where an unknown key is a mistake worth a 422."""

    model_config = ConfigDict(extra="forbid")




def incident_query(user: User, ctx: StageContext, wanted: IncidentFilter) -> Select[Incident]:
    if wanted.camera is not None:
        cameras = [camera_for(user, wanted.camera, ctx)]
    else:
        cameras = visible_cameras(user, ctx)
    if wanted.group is not None:
        cameras = [camera for camera in cameras if camera.group == wanted.group]
    visible: ColumnElement[bool] = Incident.camera_id.in_([camera.id for camera in cameras])
    if wanted.camera is None:
        visible = or_(visible, _camera_less_visible(user, wanted.group))
    query = select(Incident).where(visible)
    for column, value in ((Incident.rule, wanted.rule), (Incident.type, wanted.type),
                          (Incident.severity, wanted.severity), (Incident.assignee, wanted.assignee)):
        if value is not None:
            query = query.where(column == value)
    if wanted.priority is not None:
        query = query.where(func.coalesce(Incident.priority, Incident.severity) == wanted.priority)
    if wanted.status is not None:
        statuses = [part.strip() for part in wanted.status.split(",") if part.strip()]
        unknown = sorted(set(statuses) - STATUSES)
        if unknown:
            known = ", ".join(sorted(STATUSES))
            raise HTTPException(status_code=422, detail=f"unknown status {unknown[0]!r} (one of: {known})")
        query = query.where(Incident.status.in_(statuses))
    if wanted.since is not None:
        query = query.where(Incident.started_at >= utc_or_400(wanted.since, "since"))
    if wanted.until is not None:
        query = query.where(Incident.started_at < utc_or_400(wanted.until, "until"))
    if wanted.seen is not None:
        mark = exists().where(and_(IncidentSeen.incident_id == Incident.id, IncidentSeen.user_id == user.id))
        query = query.where(mark if wanted.seen else ~mark)
    if wanted.overdue is not None:
        late = and_(Incident.escalated_at.is_not(None), Incident.status == IncidentStatus.NEW.value)
        query = query.where(late if wanted.overdue else ~late)
    return query


def _camera_less_visible(user: User, group: str | None) -> ColumnElement[bool]:
    """The SQL twin of ``incident_visible`` for camera-less incidents (complaints)."""
    camera_less: ColumnElement[bool] = Incident.camera_id.is_(None)
    if group is not None:
        camera_less = camera_less & (Incident.group_name == group)
    if user.role_enum is Role.ADMIN or not user.groups:
        return camera_less
    return camera_less & Incident.group_name.in_(user.groups)


def newest_first(query: Select[Incident]) -> Select[Incident]:
    return query.order_by(Incident.started_at.desc(), Incident.id.desc())


def seen_ids(db: Any, user: User, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    rows = db.scalars(select(IncidentSeen.incident_id).where(IncidentSeen.user_id == user.id)
                      .where(IncidentSeen.incident_id.in_(ids)))
    return set(rows)


def present(incident: Incident, ctx: StageContext, seen: bool | None = None) -> dict[str, Any]:
    """The incident's JSON plus what the pages show beside it (camera name, department, seen)."""
    data = incident.to_json()
    camera = ctx.config.cameras.get(incident.camera_id) if incident.camera_id else None
    data["camera_name"] = camera.display_name if camera is not None else incident.camera_id
    data["group"] = camera.group if camera is not None else incident.group_name
    if seen is not None:
        data["seen"] = seen
    return data
