"""WHEP live view (RFC 9725 style): POST an SDP offer, get the answer and a resource URL to DELETE.

POST /api/live/{camera}/whep?stream=main|sub  application/sdp  -> 201, answer, Location, X-Wawai-Live-Mode
DELETE /api/live/sessions/{id}                                 -> 204 (the viewer left)
PATCH /api/live/sessions/{id}                                  -> 405 here (no trickle ICE); forwarded
GET /api/live/stats                                            -> relay counters (supervisors)
The relay is created once per app, on first use, and closed when the app shuts down.

On a cluster, a camera owned by another node is forwarded there (webui.cluster): this node relays the
offer and the answer, signed as the user, and remembers which node holds the session so that PATCH and
DELETE follow it; the media flow between the browser and the owner. The owner's caps
(web.live_max_sessions*) decide, and its 503 comes back as it is. When the owner changes, the browser's
peer connection fails and the tile offers again here, which forwards to the new owner.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from wawai import audit
from wawai.stage import CAMERA_LISTENERS_SERVICE, StageContext
from webui.cluster import forward
from webui.cluster.peers import Peer, live_owner, node_peer
from webui.deps import Ctx, CurrentUser, SupervisorUser, camera_for, visible_cameras
from webui.live import LiveRelay, OfferError
from webui.live.relay import LiveBusy
from webui.models import IceServers, LiveStats, binary

SDP_OFFER = {"application/sdp": {"schema": {"type": "string", "description": "the browser's SDP offer"}}}
LIVE_SERVICE = "live"  # ctx.services[LIVE_SERVICE]: the app's LiveRelay
MAX_OFFER_BYTES = 64 * 1024
LIVE_RETRY_AFTER_SECONDS = 5  # a view that never connects is reclaimed within the connect timeout
SESSIONS_PATH = "/api/live/sessions/"
MAX_FORWARDED_VIEWS = 10_000


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
    try:
        body = await request.body()
    except ClientDisconnect:  # the page went away while sending its offer (a navigation): nobody to answer
        raise HTTPException(status_code=400, detail="the offer was cut off") from None
    if len(body) > MAX_OFFER_BYTES:
        raise HTTPException(status_code=413, detail="the SDP offer is too large")
    # A request another node forwarded is served here or not at all: never forwarded again (no loops
    # while ownership moves).
    forwarded = request.scope.get("state", {}).get("auth_via") == "node"
    owner = None if forwarded else await run_in_threadpool(_live_owner, ctx, camera_id)
    if owner is not None:
        return await _forward_offer(request, ctx, owner, user.name, body)
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
            "Location": f"{SESSIONS_PATH}{session.id}",
            "X-Wawai-Live-Mode": session.mode,
            "X-Wawai-Live-Stream": session.stream,
        },
    )


def _live_owner(ctx: StageContext, camera_id: str) -> Peer | None:
    with ctx.sessions() as db:
        return live_owner(ctx, db, camera_id)


@dataclass(frozen=True)
class ForwardedView:
    node: str
    user_name: str


def _forwarded(request: Request) -> dict[str, ForwardedView]:
    """Session id -> the node holding it, for the views this node forwarded (app-wide)."""
    views: dict[str, ForwardedView] | None = getattr(request.app.state, "forwarded_views", None)
    if views is None:
        views = request.app.state.forwarded_views = {}
    return views


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def _forward_offer(request: Request, ctx: StageContext, owner: Peer, user_name: str,
                         body: bytes) -> Response:
    answer = await forward.send(ctx, owner, "POST", _target(request), user_name, body,
                                {"content-type": "application/sdp"})
    headers = forward.passed_back(answer.headers)
    headers.pop("content-length", None)
    location = headers.get("location", "")
    if answer.status_code == 201 and location.startswith(SESSIONS_PATH):
        views = _forwarded(request)
        if len(views) >= MAX_FORWARDED_VIEWS:  # ids of views whose DELETE never came: the oldest go
            for stale in list(views)[: MAX_FORWARDED_VIEWS // 10]:
                del views[stale]
        views[location.removeprefix(SESSIONS_PATH)] = ForwardedView(owner.name, user_name)
    return Response(answer.content, status_code=answer.status_code, headers=headers,
                    media_type=answer.headers.get("content-type"))


async def _forward_session(request: Request, ctx: StageContext, session_id: str, user_name: str,
                           view: ForwardedView, method: str) -> Response:
    peer = await run_in_threadpool(_node_peer, ctx, view.node)
    if peer is None:  # the node holding it is gone, and the view with it
        _forwarded(request).pop(session_id, None)
        return Response(status_code=204) if method == "DELETE" else Response(status_code=404)
    # A DELETE has no body to relay; not reading it also passes on a viewer's keepalive DELETE whose
    # page has already gone (the owner must still let the session go).
    body = await request.body() if method == "PATCH" else b""
    extra = {"content-type": request.headers["content-type"]} if "content-type" in request.headers else {}
    answer = await forward.send(ctx, peer, method, _target(request), user_name, body, extra)
    if method == "DELETE" and answer.status_code in (204, 404):
        _forwarded(request).pop(session_id, None)
    headers = forward.passed_back(answer.headers)
    headers.pop("content-length", None)
    return Response(answer.content, status_code=answer.status_code, headers=headers)


def _node_peer(ctx: StageContext, name: str) -> Peer | None:
    with ctx.sessions() as db:
        try:
            return node_peer(ctx, db, name)
        except HTTPException:
            return None


def _forwarded_view(request: Request, session_id: str, user: CurrentUser) -> ForwardedView | None:
    view = _forwarded(request).get(session_id)
    if view is None:
        return None
    if view.user_name != user.name and user.role != "admin":
        raise HTTPException(status_code=404, detail="no such live view")
    return view


@router.patch("/api/live/sessions/{session_id}", status_code=204)
async def patch_live_view(session_id: str, request: Request, user: CurrentUser, ctx: Ctx) -> Response:
    """Trickle ICE (RFC 9725 PATCH): a forwarded view's PATCH goes to the node holding it; this relay
    takes no trickled candidates (every candidate is in the offer and the answer), so 405 here."""
    view = _forwarded_view(request, session_id, user)
    if view is not None:
        return await _forward_session(request, ctx, session_id, user.name, view, "PATCH")
    session = relay_for(request, ctx).session(session_id)
    if session is None or (session.user_name != user.name and user.role != "admin"):
        raise HTTPException(status_code=404, detail="no such live view")
    raise HTTPException(status_code=405, detail="no trickle ICE here: send every candidate in the offer",
                        headers={"Allow": "DELETE"})


@router.delete("/api/live/sessions/{session_id}", status_code=204)
async def close_live_view(session_id: str, request: Request, user: CurrentUser, ctx: Ctx) -> Response:
    view = _forwarded_view(request, session_id, user)
    if view is not None:
        return await _forward_session(request, ctx, session_id, user.name, view, "DELETE")
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
