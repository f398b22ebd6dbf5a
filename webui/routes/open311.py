"""Open311 GeoReport v2 under /open311/v2/: discovery, services, service definitions, requests.

Each route answers XML without a suffix or with ``.xml`` (the spec's default) and JSON with ``.json``.
These routes are outside the session sign-in (webui.security lists the prefix): the calling app
authenticates with its ``api_key`` (query or body field), which every route but discovery needs.
Every call is audited as ``open311.<action>`` with the key's name and the answer's status.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from wawai.audit import record
from wawai.complaints import CLOSED_STATUSES, create_complaint, publish_created
from wawai.config.schema import ComplaintsSection
from wawai.db.base import utcnow
from wawai.db.complaints import Complaint, IdempotentAnswer, IntegrationKey
from wawai.db.incidents import Incident
from wawai.stage import StageContext
from webui.models import (
    Discovery,
    RequestCreated,
    ServiceDefinition,
    ServiceInfo,
    ServiceRequestFields,
    ServiceRequestInfo,
    media,
)
from webui.open311 import views
from webui.open311.access import KeyRateLimiter, authenticate_key
from webui.open311.body import PostedFields, posted_fields
from webui.open311.intake import new_complaint
from webui.open311.render import MEDIA_TYPES, Open311Error, render, render_error
from webui.openapi import request_body

log = logging.getLogger(__name__)
router = APIRouter()

BASE = "/open311/v2"
FORMATS = ("xml", "json")
MAX_REQUESTS = 1000
MAX_RANGE = timedelta(days=90)
IDEMPOTENCY_HEADER = "idempotency-key"
XML = MEDIA_TYPES["xml"].split(";")[0]
POSTED = request_body(ServiceRequestFields, "application/x-www-form-urlencoded", "multipart/form-data",
                      "application/json")


def xml_only(description: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route without a suffix: the spec's default format, XML."""
    return {status: {"content": media(XML), "description": description}}


def either(model: Any, description: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route answering ``.json`` (``model``) or ``.xml`` (the same fields)."""
    return {status: {"model": model, "content": media(XML), "description": description}}


class Call:
    """One Open311 call: its format, its key once known, and what the audit row says."""

    def __init__(self, request: Request, action: str, suffix: str | None) -> None:
        self.request = request
        self.action = action
        self.ctx: StageContext = request.app.state.ctx
        self.fmt = suffix if suffix in FORMATS else "xml"
        self.bad_suffix = suffix is not None and suffix not in FORMATS
        self.key_name = "-"
        self.detail: dict[str, Any] = {}

    def authenticate(self, db: Session, api_key: str | None) -> IntegrationKey:
        key = authenticate_key(db, api_key)
        self.key_name = key.name
        _limiter(self.request).check(key.id)
        return key

    @property
    def zone(self) -> str:
        return self.ctx.config.site.site.timezone

    @property
    def complaints(self) -> ComplaintsSection:
        return self.ctx.config.site.complaints


def _limiter(request: Request) -> KeyRateLimiter:
    limiter: KeyRateLimiter | None = getattr(request.app.state, "open311_limiter", None)
    if limiter is None:
        per_minute = request.app.state.ctx.config.site.complaints.requests_per_minute
        limiter = request.app.state.open311_limiter = KeyRateLimiter(per_minute)
    return limiter


async def _answer(call: Call, work: Callable[[], Awaitable[Response]]) -> Response:
    try:
        if call.bad_suffix:
            raise Open311Error(404, "unknown format: use .xml or .json")
        response = await work()
    except Open311Error as error:
        response = render_error(call.fmt, error)
        call.detail["error"] = error.description
    await run_in_threadpool(_audit, call, response.status_code)
    return response


def _audit(call: Call, status: int) -> None:
    with call.ctx.sessions() as db:
        record(db, f"open311:{call.key_name}", f"open311.{call.action}", status=status,
               path=call.request.url.path, **call.detail)
        db.commit()


def _sync(call: Call, work: Callable[[Session], Response]) -> Callable[[], Awaitable[Response]]:
    def blocking() -> Response:
        with call.ctx.sessions() as db:
            return work(db)

    async def run() -> Response:
        return await run_in_threadpool(blocking)

    return run


# --- discovery and services ---------------------------------------------------------------------------


@router.get(f"{BASE}/discovery", response_class=Response, responses=xml_only("the endpoint's discovery"))
@router.get(BASE + "/discovery.{fmt}", response_class=Response, responses=either(Discovery, "discovery"))
async def discovery(request: Request, fmt: str | None = None) -> Response:
    call = Call(request, "discovery", fmt)

    async def work() -> Response:
        base = str(request.base_url).rstrip("/") + BASE
        return render(call.fmt, "discovery", views.discovery(base, call.ctx.config.site.site.name))

    return await _answer(call, work)


@router.get(f"{BASE}/services", response_class=Response, responses=xml_only("the services"))
@router.get(BASE + "/services.{fmt}", response_class=Response,
            responses=either(list[ServiceInfo], "the services this key may use"))
async def services(request: Request, fmt: str | None = None) -> Response:
    call = Call(request, "services", fmt)

    def work(db: Session) -> Response:
        key = call.authenticate(db, request.query_params.get("api_key"))
        listed = [views.service(item) for item in call.complaints.services if key.may_use(item.code)]
        return render(call.fmt, "services", listed)

    return await _answer(call, _sync(call, work))


@router.get(BASE + "/services/{code}", response_class=Response,
            responses=either(ServiceDefinition, "a service's attributes; CODE.json for JSON"))
async def service_definition(request: Request, code: str) -> Response:
    service_code, _, suffix = code.rpartition(".") if code.endswith((".xml", ".json")) else (code, "", "")
    call = Call(request, "service_definition", suffix or None)

    def work(db: Session) -> Response:
        key = call.authenticate(db, request.query_params.get("api_key"))
        item = call.complaints.service(service_code)
        if item is None or not key.may_use(service_code):
            raise Open311Error(404, f"no service {service_code!r}")
        return render(call.fmt, "service_definition", views.definition(item))

    return await _answer(call, _sync(call, work))


# --- requests ---------------------------------------------------------------------------------------


@router.post(f"{BASE}/requests", status_code=201, response_class=Response, openapi_extra=POSTED,
             responses=xml_only("the new service request", 201))
@router.post(BASE + "/requests.{fmt}", status_code=201, response_class=Response, openapi_extra=POSTED,
             responses=either(list[RequestCreated], "the new service request", 201))
async def post_request(request: Request, fmt: str | None = None) -> Response:
    call = Call(request, "request.create", fmt)

    async def work() -> Response:
        fields = await posted_fields(request, call.complaints.photo_max_bytes)
        idempotency = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if len(idempotency) > 200:
            raise Open311Error(400, "Idempotency-Key is longer than 200 characters")
        api_key = fields.first("api_key") or request.query_params.get("api_key")
        complaint, incident, replayed = await run_in_threadpool(_create, call, fields, api_key, idempotency)
        if incident is not None:
            publish_created(call.ctx.bus, incident)
        call.detail.update(service_request_id=complaint.id, service_code=complaint.service_code,
                           replayed=replayed)
        return render(call.fmt, "service_requests", [views.created(complaint)], 201)

    return await _answer(call, work)


def _create(
    call: Call, fields: PostedFields, api_key: str | None, idempotency: str
) -> tuple[Complaint, Incident | None, bool]:
    """(complaint, incident to announce or None for a replay, replayed)."""
    with call.ctx.sessions() as db:
        key = call.authenticate(db, api_key)
        fingerprint = fields.fingerprint()
        if idempotency:
            earlier = _replay(db, key, idempotency, fingerprint)
            if earlier is not None:
                return earlier, None, True
        new = new_complaint(fields, call.complaints, key)
        complaint = create_complaint(db, new, key, call.ctx.storage)
        if idempotency:
            db.add(IdempotentAnswer(key_id=key.id, idempotency_key=idempotency, fingerprint=fingerprint,
                                    complaint_id=complaint.id))
        try:
            db.commit()
        except IntegrityError:  # the same key raced in from a parallel retry: answer as it did
            db.rollback()
            earlier = _replay(db, key, idempotency, fingerprint)
            if earlier is None:
                raise
            return earlier, None, True
        db.refresh(complaint)
        incident = db.get(Incident, complaint.incident_id)
        assert incident is not None
        db.expunge_all()
        return complaint, incident, False


def _replay(db: Session, key: IntegrationKey, idempotency: str, fingerprint: str) -> Complaint | None:
    row = db.scalar(select(IdempotentAnswer).where(
        IdempotentAnswer.key_id == key.id, IdempotentAnswer.idempotency_key == idempotency))
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise Open311Error(422, "Idempotency-Key was already used for a different request")
    return db.get(Complaint, row.complaint_id)


@router.get(f"{BASE}/requests", response_class=Response, responses=xml_only("service requests"))
@router.get(BASE + "/requests.{fmt}", response_class=Response,
            responses=either(list[ServiceRequestInfo], "service requests"))
async def list_requests(request: Request, fmt: str | None = None) -> Response:
    call = Call(request, "requests", fmt)

    def work(db: Session) -> Response:
        query = request.query_params
        key = call.authenticate(db, query.get("api_key"))
        statement = select(Complaint, Incident).join(Incident, Incident.id == Complaint.incident_id)
        if key.services:
            statement = statement.where(Complaint.service_code.in_(key.services))
        ids = [part.strip() for part in query.get("service_request_id", "").split(",") if part.strip()]
        if ids:
            if not all(part.isdigit() for part in ids):
                raise Open311Error(400, "service_request_id must be a comma-separated list of ids")
            statement = statement.where(Complaint.id.in_([int(part) for part in ids]))
        else:
            start, end = _date_range(query.get("start_date"), query.get("end_date"))
            statement = statement.where(Complaint.requested_at >= start, Complaint.requested_at <= end)
        codes = [part.strip() for part in query.get("service_code", "").split(",") if part.strip()]
        if codes:
            statement = statement.where(Complaint.service_code.in_(codes))
        status = query.get("status")
        if status is not None:
            if status not in ("open", "closed"):
                raise Open311Error(400, "status must be open or closed")
            closed = Incident.status.in_(CLOSED_STATUSES)
            statement = statement.where(closed if status == "closed" else ~closed)
        rows = db.execute(statement.order_by(Complaint.requested_at.desc()).limit(MAX_REQUESTS)).all()
        return render(call.fmt, "service_requests", [_view(call, db, c, i) for c, i in rows])

    return await _answer(call, _sync(call, work))


@router.get(BASE + "/requests/{request_id}", response_class=Response,
            responses=either(list[ServiceRequestInfo], "one service request; ID.json for JSON"))
async def get_request(request: Request, request_id: str) -> Response:
    number, _, suffix = request_id.rpartition(".") if request_id.endswith((".xml", ".json")) else (
        request_id, "", "")
    call = Call(request, "request", suffix or None)

    def work(db: Session) -> Response:
        key = call.authenticate(db, request.query_params.get("api_key"))
        complaint = db.get(Complaint, int(number)) if number.isdigit() else None
        if complaint is None or not key.may_use(complaint.service_code):
            raise Open311Error(404, f"no service request {number[:40]!r}")
        incident = db.get(Incident, complaint.incident_id)
        if incident is None:
            raise Open311Error(404, f"no service request {number[:40]!r}")
        return render(call.fmt, "service_requests", [_view(call, db, complaint, incident)])

    return await _answer(call, _sync(call, work))


def _view(call: Call, db: Session, complaint: Complaint, incident: Incident) -> dict[str, Any]:
    service = call.complaints.service(complaint.service_code)
    agency = service.group if service else (incident.group_name or "")
    return views.service_request(db, complaint, incident, agency, call.zone)


def _date_range(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """The spec's window: at most 90 days; without dates, the last 90 days."""
    upper = _when(end, "end_date") if end else utcnow()
    lower = _when(start, "start_date") if start else upper - MAX_RANGE
    if lower > upper:
        raise Open311Error(400, "start_date is after end_date")
    if upper - lower > MAX_RANGE:
        raise Open311Error(400, "start_date to end_date spans more than 90 days")
    return lower, upper


def _when(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        example = "2026-12-01T08:00:00+07:00"
        raise Open311Error(400, f"{name} must be an ISO 8601 date and time (e.g. {example})") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
