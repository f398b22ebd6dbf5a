"""Recordings: ranges, gaps and segments of a camera, and clip export (supervisor or admin).

Everything goes through ``ctx.services["recordings"]`` (``wawai.recordings.ClipExporter``); the web app
never imports the recorder. On a cluster without shared storage, a clip of segments another node wrote
is exported by that node and streamed through this one (webui.cluster); a range recorded on several
nodes (a failover inside it) is exported by the node holding most of it.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from wawai import audit
from wawai.db.recordings import segments_between
from wawai.recordings import SERVICE_NAME, ClipExporter, ClipResult, NothingRecorded, parse_time
from wawai.stage import StageContext
from wawai.workpool import PoolFull
from webui.cluster import forward
from webui.cluster.peers import Peer, node_peer
from webui.deps import Ctx, CurrentUser, Pools, SupervisorUser, busy, camera_or_removed_for
from webui.models import RecordingsOverview, binary

router = APIRouter()

MAX_CLIP_SECONDS = 6 * 3600


def _service(ctx: StageContext) -> ClipExporter:
    service = ctx.services.get(SERVICE_NAME)
    if service is None:
        raise HTTPException(status_code=503, detail="recording is not running on this node")
    return cast(ClipExporter, service)


def _export(
    ctx: StageContext, service: ClipExporter, user_name: str, camera_id: str, begin: float, finish: float
) -> ClipResult:
    """Blocking: write the clip and audit it (raises 404 when nothing was recorded)."""
    output = ctx.storage / "exports" / f"{camera_id}-{int(begin)}-{int(finish)}-{uuid.uuid4().hex[:8]}.mp4"
    try:
        result = service.export_clip(camera_id, begin, finish, output)
    except NothingRecorded as exc:
        raise HTTPException(status_code=404, detail=f"nothing recorded for {camera_id} then") from exc
    with ctx.sessions() as db:
        audit.record(db, user_name, "recording.export", camera_id=camera_id, start=begin, end=finish,
                     clip_start=result.start, clip_end=result.end, sha256=result.sha256, via="api")
        db.commit()
    return result


def _range(start: str, end: str, limit: float | None = None) -> tuple[float, float]:
    try:
        begin, finish = parse_time(start), parse_time(end)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    if finish <= begin:
        raise HTTPException(status_code=400, detail="end must be after start")
    if limit is not None and finish - begin > limit:
        raise HTTPException(status_code=400, detail=f"a clip is at most {limit / 3600:g} hours")
    return begin, finish


@router.get("/api/recordings/{camera_id}", response_model=RecordingsOverview)
def recordings(camera_id: str, start: str, end: str, user: CurrentUser, ctx: Ctx,
               segments: bool = True) -> dict[str, Any]:
    """Recorded ranges, gaps (with their reason) and segments between ``start`` and ``end``.

    ``segments=false`` leaves the segment list out (a 7-day timeline needs only ranges and gaps)."""
    camera_or_removed_for(user, camera_id, ctx)
    begin, finish = _range(start, end)
    overview = _service(ctx).overview(camera_id, begin, finish).to_json()
    if not segments:
        overview["segments"] = []
    return overview


def _clip_holder(ctx: StageContext, camera_id: str, begin: float, finish: float) -> Peer | None:
    """The node holding most of the range's recorded seconds, when that is another one."""
    if ctx.config.site.cluster is None:
        return None
    with ctx.sessions() as db:
        seconds: dict[str | None, float] = {}
        for row in segments_between(db, camera_id, begin, finish):
            seconds[row.node] = seconds.get(row.node, 0.0) + min(row.end, finish) - max(row.start, begin)
        if not seconds:
            return None
        return node_peer(ctx, db, max(seconds, key=lambda node: seconds[node]))


@router.get("/api/recordings/{camera_id}/clip.mp4", response_class=FileResponse,
            responses=binary("video/mp4", "the clip; its SHA-256 in X-Content-SHA256"))
async def clip(
    camera_id: str, start: str, end: str, request: Request, user: SupervisorUser, ctx: Ctx, pools: Pools
) -> Response:
    """The range as one faststart MP4 (stream copy); its SHA-256 in ``X-Content-SHA256``. Audited.

    The export runs in the export pool (``web.export_workers``, ``web.export_queue``,
    ``web.exports_per_user``), not in the threads that answer other requests; beyond it: 503.
    """
    camera_or_removed_for(user, camera_id, ctx)
    begin, finish = _range(start, end, MAX_CLIP_SECONDS)
    if request.scope.get("state", {}).get("auth_via") != "node":  # never forwarded twice
        holder = await run_in_threadpool(_clip_holder, ctx, camera_id, begin, finish)
        if holder is not None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return await run_in_threadpool(forward.stream, ctx, holder, target, user.name, None)
    service = _service(ctx)
    try:
        result = await pools.exports.run(_export, ctx, service, user.name, camera_id, begin, finish,
                                         key=user.name)
    except PoolFull as exc:
        raise busy(exc) from None
    return FileResponse(
        result.path,
        media_type="video/mp4",
        filename=f"{camera_id}-{int(result.start)}.mp4",
        # Where the clip really starts and ends (the keyframe at or before ``start``): a page places the
        # incident's own times on the clip's timeline with these.
        headers={"X-Content-SHA256": result.sha256, "X-Clip-Start": f"{result.start:.3f}",
                 "X-Clip-End": f"{result.end:.3f}"},
        background=BackgroundTask(result.path.unlink, missing_ok=True),
    )
