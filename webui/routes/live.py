"""WHEP live view (RFC 9725 style): POST an SDP offer, get the answer and a resource URL to DELETE.

POST /api/live/{camera}/whep?stream=main|sub  application/sdp  -> 201, answer, Location, X-Wawai-Live-Mode
DELETE /api/live/sessions/{id}                                 -> 204 (the viewer left)
GET /api/live/stats                                            -> relay counters (supervisors)
The relay is created once per app, on first use, and closed when the app shuts down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from wawai import audit
from wawai.stage import CAMERA_LISTENERS_SERVICE, StageContext
from webui.deps import Ctx, CurrentUser, SupervisorUser, camera_for, visible_cameras
from webui.live import LiveRelay, OfferError
from webui.live.relay import LiveBusy
from webui.models import IceServers, LiveStats, binary

SDP_OFFER = {"application/sdp": {"schema": {"type": "string", "description": "the browser's SDP offer"}}}
LIVE_SERVICE = "live"  # ctx.services[LIVE_SERVICE]: the app's LiveRelay
MAX_OFFER_BYTES = 64 * 1024
LIVE_RETRY_AFTER_SECONDS = 5  # a view that never connects is reclaimed within the connect timeout


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    relay: LiveRelay | None = getattr(app.state, "live_relay", None)
    if relay is not None:
        await relay.close()


router = APIRouter(lifespan=lifespan)


def relay_for(request: Request, ctx: StageContext) -> LiveRelay:
    relay: LiveRelay | None = getattr(request.app.state, "live_relay", None)
    if relay is None:
        relay = LiveRelay(ctx.hub, ctx.config.site.web)
        request.app.state.live_relay = relay
        ctx.services[LIVE_SERVICE] = relay
        # Told by the runtime when a camera's streams stop or restart (hot reload).
        ctx.services.setdefault(CAMERA_LISTENERS_SERVICE, []).append(relay)
    return relay


def _audit_view(ctx: StageContext, user_name: str, camera_id: str, detail: dict[str, Any]) -> None:
    with ctx.sessions() as db:
        audit.record(db, user_name, "live.view", camera_id=camera_id, **detail)
        db.commit()


@router.post("/api/live/{camera_id}/whep", status_code=201, response_class=Response,
             responses=binary("application/sdp", "the SDP answer; Location: the session", 201),
             openapi_extra={"requestBody": {"required": True, "content": SDP_OFFER}})
async def open_live_view(
    camera_id: str,
    request: Request,
    user: CurrentUser,
    ctx: Ctx,
    stream: Literal["main", "sub"] = "main",
) -> Response:
    camera_for(user, camera_id, ctx)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/sdp":
        raise HTTPException(status_code=415, detail="send the SDP offer as Content-Type: application/sdp")
    body = await request.body()
    if len(body) > MAX_OFFER_BYTES:
        raise HTTPException(status_code=413, detail="the SDP offer is too large")
    relay = relay_for(request, ctx)
    try:
        session = await relay.open_view(camera_id, stream, body.decode("utf-8", "replace"), user.name)
    except OfferError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=f"camera {camera_id!r} is not running") from exc
    except LiveBusy as exc:
        raise HTTPException(status_code=503, detail=str(exc),
                            headers={"Retry-After": str(LIVE_RETRY_AFTER_SECONDS)}) from exc
    detail = {"stream": session.stream, "mode": session.mode, "view": session.id}
    await run_in_threadpool(_audit_view, ctx, user.name, camera_id, detail)
    return Response(
        content=session.answer_sdp,
        status_code=201,
        media_type="application/sdp",
        headers={
            "Location": f"/api/live/sessions/{session.id}",
            "X-Wawai-Live-Mode": session.mode,
            "X-Wawai-Live-Stream": session.stream,
        },
    )


@router.delete("/api/live/sessions/{session_id}", status_code=204)
async def close_live_view(session_id: str, request: Request, user: CurrentUser, ctx: Ctx) -> Response:
    relay = relay_for(request, ctx)
    session = relay.session(session_id)
    # Someone else's session answers as missing: ids are not to be probed.
    if session is None or (session.user_name != user.name and user.role != "admin"):
        raise HTTPException(status_code=404, detail="no such live view")
    await relay.close_view(session_id)
    return Response(status_code=204)


@router.get("/api/live/stats", response_model=LiveStats)
def live_stats(request: Request, user: SupervisorUser, ctx: Ctx) -> dict[str, Any]:
    """Counters of the cameras this user may see (site-wide only for users limited to no group)."""
    visible = None if not user.groups else {camera.id for camera in visible_cameras(user, ctx)}
    return relay_for(request, ctx).stats(visible)


@router.get("/api/live/ice", response_model=IceServers)
def ice_servers(user: CurrentUser, ctx: Ctx) -> dict[str, Any]:
    """The STUN/TURN servers browsers should use too (web.stun_urls / web.turn_urls in wawai.yaml)."""
    web = ctx.config.site.web
    servers: list[dict[str, Any]] = []
    if web.stun_urls:
        servers.append({"urls": list(web.stun_urls)})
    if web.turn_urls:
        servers.append({"urls": list(web.turn_urls), "username": web.turn_username or "",
                        "credential": web.turn_password or ""})
    return {"iceServers": servers}
