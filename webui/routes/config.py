"""The running configuration for admins: effective config, reload status, reload now.

GET  /api/config[?camera=ID]   the merged config, site defaults applied, secrets redacted
GET  /api/config/status        cameras and their state, the last reload's plan, current errors
POST /api/config/reload        reload the config directory now; answers the plan it applied
Integrators own the files: nothing here writes them.
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from wawai.config.diff import relative_source
from wawai.config.effective import effective_config
from wawai.config.reload import CONFIG_SERVICE, ConfigReloader
from wawai.stage import StageContext
from webui.deps import AdminUser, Ctx
from webui.models import ConfigEcho, ConfigStatus, ReloadRecord

router = APIRouter()


def _reloader(ctx: StageContext) -> ConfigReloader:
    reloader = ctx.services.get(CONFIG_SERVICE)
    if reloader is None:
        raise HTTPException(status_code=503, detail="config reload is not running on this node")
    return cast(ConfigReloader, reloader)


@router.get("/api/config", response_model=ConfigEcho)
def get_config(user: AdminUser, ctx: Ctx, camera: str | None = None) -> dict[str, Any]:
    try:
        return effective_config(ctx.config, camera)
    except KeyError:
        raise HTTPException(status_code=404, detail=f"no camera {camera!r}") from None


def _camera_rows(ctx: StageContext, kept: set[str]) -> list[dict[str, Any]]:
    rows = []
    for camera in sorted(ctx.config.cameras.values(), key=lambda c: c.id):
        try:
            state = str(ctx.hub.status(camera.id).state)
        except KeyError:
            state = "stopped"
        source = ctx.config.sources.get(camera.id)
        rows.append({
            "id": camera.id, "name": camera.display_name, "group": camera.group, "state": state,
            "file": relative_source(source, ctx.config.directory) if source else None,
            "previous_config": camera.id in kept,  # its file is broken: it runs what it had
        })
    return rows


@router.get("/api/config/status", response_model=ConfigStatus)
def config_status(user: AdminUser, ctx: Ctx) -> dict[str, Any]:
    reloader = _reloader(ctx)
    status = reloader.status()
    last = status.get("last_reload") or {}
    kept = set((last.get("plan") or {}).get("kept") or [])
    return {**status, "cameras": _camera_rows(ctx, kept)}


@router.post("/api/config/reload", response_model=ReloadRecord)
async def reload_config(user: AdminUser, ctx: Ctx) -> dict[str, Any]:
    reloader = _reloader(ctx)
    return await run_in_threadpool(reloader.reload, "api", user.name)
