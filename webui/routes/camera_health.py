"""The camera health page's data: every visible camera's figures now, and its per-minute samples."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from wawai.camera_health import camera_facts, gap_seconds, storage_bytes
from wawai.db.health import samples_between
from webui.deps import Ctx, CurrentUser, DbSession, camera_for, visible_cameras
from webui.models import CameraHealthPage, HealthSamples

router = APIRouter()

SAMPLE_COLUMNS = ["at", "fps", "bitrate_kbps", "reconnects", "detector_ms", "detector_queue_ms", "drops"]


@router.get("/api/camera-health", response_model=CameraHealthPage)
def camera_health(user: CurrentUser, ctx: Ctx, db: DbSession) -> dict[str, Any]:
    """One row per camera the user may see: ingest, recording and detector figures, storage, gaps."""
    now = time.time()
    used = storage_bytes(db)
    rows = []
    for camera in visible_cameras(user, ctx):
        rows.append({
            **camera_facts(ctx, camera.id).to_json(),
            "name": camera.display_name,
            "group": camera.group,
            "storage_bytes": used.get(camera.id, 0),
            "gap_minutes_24h": round(gap_seconds(db, camera.id, now) / 60, 1),
        })
    return {"cameras": rows, "retain_days": ctx.config.site.health.retain_days,
            "sample_seconds": ctx.config.site.health.sample_seconds}


@router.get("/api/camera-health/{camera_id}/samples", response_model=HealthSamples)
def camera_samples(camera_id: str, user: CurrentUser, ctx: Ctx, db: DbSession,
                   hours: Annotated[float, Query(gt=0, le=24 * 31)] = 24) -> dict[str, Any]:
    """Per-minute samples of the last ``hours``, as columns (``SAMPLE_COLUMNS``) for the plots."""
    camera_for(user, camera_id, ctx)
    now = time.time()
    rows = samples_between(db, camera_id, now - hours * 3600, now + 1)
    return {"camera_id": camera_id, "columns": SAMPLE_COLUMNS,
            "samples": [[getattr(row, name) for name in SAMPLE_COLUMNS] for row in rows]}
