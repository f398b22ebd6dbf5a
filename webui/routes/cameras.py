"""GET /api/cameras: the cameras this user may see, with live status. Never a URL or a credential."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter

from wawai.camera_health import analysis_of
from wawai.cluster.remote_status import REMOTE_STATUS_SERVICE, RemoteStatus
from wawai.config.schema import CameraConfig
from wawai.logs import mask_text
from wawai.stage import STAGES_SERVICE, StageContext
from webui.deps import Ctx, CurrentUser, camera_for, visible_cameras
from webui.models import CameraInfo

log = logging.getLogger(__name__)
router = APIRouter()


def camera_json(camera: CameraConfig, ctx: StageContext) -> dict[str, Any]:
    status: dict[str, Any]
    local = True
    try:
        status = ctx.hub.status(camera.id).to_json()
    except KeyError:
        # Not running here: on a cluster node, what its owner last announced on the bus.
        remote: RemoteStatus | None = ctx.services.get(REMOTE_STATUS_SERVICE)
        local = remote is None
        announced = remote.status(camera.id) if remote is not None else None
        status = announced or {"camera_id": camera.id, "state": "offline", "streams": {}, "stages": {}}
    stages: dict[str, Any] = dict(status.get("stages") or {})
    for stage in ctx.services.get(STAGES_SERVICE, []) if local else []:  # the owner's stages, not ours
        try:
            stages[stage.name] = stage.camera_status(camera.id)
        except Exception:  # one stage's bad answer must not hide the camera
            log.exception("stage %s failed to report camera %s", getattr(stage, "name", "?"), camera.id)
    status["stages"] = stages
    # Ingest masks its errors already; mask again so no stage can leak a camera password here.
    status = json.loads(mask_text(json.dumps(status, default=str)))
    return {
        "id": camera.id,
        "name": camera.display_name,
        "group": camera.group,
        "streams": [name for name in ("main", "sub") if getattr(camera.streams, name)],
        "status": status,
        "location": camera.location.model_dump() if camera.location else None,
        "analysis": analysis_of(stages.get("analytics") or {}),
    }


@router.get("/api/cameras", response_model=list[CameraInfo])
def list_cameras(user: CurrentUser, ctx: Ctx) -> list[dict[str, Any]]:
    return [camera_json(camera, ctx) for camera in visible_cameras(user, ctx)]


@router.get("/api/cameras/{camera_id}", response_model=CameraInfo)
def get_camera(camera_id: str, user: CurrentUser, ctx: Ctx) -> dict[str, Any]:
    return camera_json(camera_for(user, camera_id, ctx), ctx)
