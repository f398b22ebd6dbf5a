"""The FastAPI app: every router in webui.routes, static pages, security middleware, one StageContext.

A module in ``webui/routes/`` that defines ``router`` is included automatically; nobody edits this file
to add a resource. Authentication happens in ``AuthMiddleware`` before routing (see webui.security).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route, WebSocketRoute

import webui.routes
from wawai.integrations.event_data import register_cameras
from wawai.stage import StageContext
from webui.background import lifespan_for
from webui.openapi import add_named_schemas
from webui.security import (
    AuthMiddleware,
    SecurityHeadersMiddleware,
    quiet_refused_handshakes,
    tile_image_sources,
)

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
START_PAGE = "/static/index.html"
OPENAPI_URL = "/api/openapi.json"


@dataclass(frozen=True)
class RegisteredRoute:
    kind: str  # "http" or "websocket"
    methods: frozenset[str]
    path: str


def registered_routes(app: FastAPI) -> list[RegisteredRoute]:
    """Every HTTP and WebSocket route as served (included routers flattened); mounts left out."""
    try:  # FastAPI >= 0.160 keeps included routers as branches; this walks them.
        from fastapi.routing import iter_route_contexts

        contexts: list[Any] = list(iter_route_contexts(app.routes))
        pairs = [(ctx.original_route, ctx.path) for ctx in contexts]
    except ImportError:
        pairs = [(route, getattr(route, "path", None)) for route in app.routes]
    found: list[RegisteredRoute] = []
    for route, path in pairs:
        if path is None:
            continue
        if isinstance(route, APIWebSocketRoute | WebSocketRoute):
            found.append(RegisteredRoute("websocket", frozenset({"GET"}), path))
        elif isinstance(route, APIRoute | Route):
            found.append(RegisteredRoute("http", frozenset(route.methods or ()), path))
    return found


def route_modules() -> list[str]:
    return sorted(f"webui.routes.{m.name}" for m in pkgutil.iter_modules(webui.routes.__path__))


def create_app(ctx: StageContext) -> FastAPI:
    register_cameras(ctx.config.cameras)  # camera facts for outbox events of the incident workflow
    # The API description is served behind sign-in like every route; /api/docs (webui.routes.apidocs)
    # renders it with a page of our own (FastAPI's Swagger page needs inline scripts, refused by the CSP).
    app = FastAPI(title="Wawai", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=OPENAPI_URL,
                  lifespan=lifespan_for(ctx))
    app.state.ctx = ctx
    for name in route_modules():
        module = importlib.import_module(name)
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
    add_named_schemas(app)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR, html=True), name="static")

    @app.get("/", include_in_schema=False)
    def start_page() -> RedirectResponse:
        return RedirectResponse(START_PAGE, status_code=302)

    # The middleware added last runs first: security headers wrap every answer, the auth 401s included.
    quiet_refused_handshakes()
    cluster = ctx.config.site.cluster
    if cluster is not None and not cluster.secret:
        log.warning("cluster: no cluster.secret set; this node neither forwards to other nodes nor "
                    "accepts their requests")
    app.add_middleware(AuthMiddleware, sessions=ctx.sessions,
                       cluster_secret=cluster.secret if cluster is not None else None)
    tiles = tile_image_sources(ctx.config.site.site.map.tile_url)  # the map page loads tiles from there
    app.add_middleware(SecurityHeadersMiddleware, image_sources=tiles)
    return app
