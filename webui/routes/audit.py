"""The audit log for admins: ``GET /api/audit`` (filters + pages), ``/api/audit.csv``, ``/api/audit/verify``.

Filters: ``user``, ``action`` (exact, or a prefix ending in ``.``: ``incident.``), ``camera``, ``since``,
``until`` (ISO; no zone: UTC). Newest first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from wawai import audit
from wawai.audit_chain import canonical
from wawai.db.audit import AuditEntry
from webui.deps import AdminUser, DbSession
from webui.models import AuditPage, AuditVerify, media
from webui.params import PageNumber, page_or_400, utc_or_400

router = APIRouter()

MAX_PAGE = 500
CSV_COLUMNS = ["id", "at", "user", "action", "camera", "detail", "hash"]


class AuditFilter(BaseModel):
    user: str | None = None
    action: str | None = None
    camera: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _query(wanted: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if wanted.user is not None:
        query = query.where(AuditEntry.user_name == wanted.user)
    if wanted.action:
        if wanted.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(wanted.action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == wanted.action)
    if wanted.camera is not None:
        query = query.where(AuditEntry.camera_id == wanted.camera)
    if wanted.since is not None:
        query = query.where(AuditEntry.at >= utc_or_400(wanted.since, "since"))
    if wanted.until is not None:
        query = query.where(AuditEntry.at < utc_or_400(wanted.until, "until"))
    return query.order_by(AuditEntry.id.desc())


def _json(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "user": entry.user_name, "action": entry.action,
            "camera": entry.camera_id, "detail": entry.detail, "hash": entry.hash}


@router.get("/api/audit", response_model=AuditPage)
def list_audit(user: AdminUser, db: DbSession, wanted: Annotated[AuditFilter, Query()],
               page: PageNumber = 1,
               per_page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100) -> dict[str, Any]:
    page = page_or_400(page)
    query = _query(wanted)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": [_json(row) for row in rows], "total": total, "page": page, "per_page": per_page}


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs cells starting with these as formulas; a user name must stay text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(db: Session, query: Select[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in db.scalars(query.execution_options(yield_per=1000)):
        writer.writerow([_cell(v) for v in (entry.id, entry.at.isoformat(), entry.user_name, entry.action,
                                            entry.camera_id, canonical(entry.detail), entry.hash)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@router.get("/api/audit.csv", response_class=StreamingResponse,
            responses={200: {"content": media("text/csv"), "description": "the filtered log as CSV"}})
def audit_csv(user: AdminUser, db: DbSession, wanted: Annotated[AuditFilter, Query()]) -> StreamingResponse:
    rows = list(_csv_rows(db, _query(wanted)))  # read inside the request's session
    return StreamingResponse(iter(rows), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="wawai-audit.csv"'})


@router.get("/api/audit/verify", response_model=AuditVerify)
def verify_audit(user: AdminUser, db: DbSession) -> dict[str, Any]:
    report = audit.verify(db)
    return {"ok": report.ok, "rows": report.rows, "head": report.head, "problem": report.problem,
            "row": report.row_id}
