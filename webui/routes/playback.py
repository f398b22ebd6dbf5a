"""Recorded video in the browser: HLS playlists from the index, the stored segments, thumbnails, activity.

The media are the stored segment files themselves, served by byte range (no decode, no encode, no copy).
Every route checks the camera's group first and then that the loaded segment belongs to that camera, so
guessing another camera's segment id answers 404 and naming another group's camera answers 403.

On a cluster, the index is shared but the files are on the disk of the node that wrote them (the row's
``node``): segments and thumbnails of another node are fetched from it as the user (webui.cluster, Range
passed through) unless the site has shared storage (``cluster.shared_storage``). Playlists come from the
index and are built here.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from wawai.db.activity import minutes_between
from wawai.db.recordings import RecordingSegment, segments_between
from wawai.db.users import User
from wawai.mp4_boxes import init_size
from wawai.recordings import parse_time
from wawai.stage import StageContext
from wawai.thumbnails import ensure_thumbnail
from webui.cluster import forward
from webui.cluster.peers import node_peer
from webui.deps import Ctx, CurrentUser, DbSession, camera_for
from webui.models import Activity, binary
from webui.params import db_id_exists
from webui.playlist import MIME_TYPE, PlaylistEntry, build_playlist

router = APIRouter()

MAX_PLAYLIST_SECONDS = 24 * 3600  # 8,640 entries of 10 s; a player asks again further on
MAX_ACTIVITY_SECONDS = 7 * 24 * 3600
SEGMENT_CACHE = "private, max-age=86400, immutable"  # a finished segment never changes


def _range(start: str, end: str, limit: float) -> tuple[float, float]:
    try:
        begin, finish = parse_time(start), parse_time(end)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    if finish <= begin:
        raise HTTPException(status_code=400, detail="end must be after start")
    if finish - begin > limit:
        raise HTTPException(status_code=400, detail=f"a range is at most {limit / 3600:g} hours here")
    return begin, finish


def _init_bytes(row: RecordingSegment, storage: Path) -> int | None:
    """From the index; rows indexed before 0009_segment_playback read the file's box headers once."""
    if row.init_bytes is not None:
        return row.init_bytes
    try:
        return init_size(storage / row.path)
    except OSError:
        return None


@router.get("/api/recordings/{camera_id}/playlist.m3u8", response_class=Response,
            responses=binary(MIME_TYPE, "HLS v7 playlist (fMP4 segments)"))
def playlist(camera_id: str, start: str, end: str, user: CurrentUser, ctx: Ctx, db: DbSession) -> Response:
    """HLS v7 (fMP4) playlist of the range, one entry per stored segment; ENDLIST once ``end`` is past."""
    camera_for(user, camera_id, ctx)
    begin, finish = _range(start, end, MAX_PLAYLIST_SECONDS)
    entries = []
    for row in segments_between(db, camera_id, begin, finish):
        init = _init_bytes(row, ctx.storage)
        if init is None or row.bytes <= init:
            continue  # not a readable fMP4 (yet): leave it out rather than break the player
        entries.append(PlaylistEntry(row.start, row.end, row.bytes, init, f"segments/{row.id}.mp4"))
    text = build_playlist(entries, ended=finish <= time.time())
    return Response(text, media_type=MIME_TYPE)


def _segment(db: DbSession, camera_id: str, segment_id: int) -> RecordingSegment:
    row = db.get(RecordingSegment, segment_id) if db_id_exists(segment_id) else None
    if row is None or row.camera_id != camera_id:
        raise HTTPException(status_code=404, detail=f"no segment {segment_id} of camera {camera_id!r}")
    return row


def _from_holder(request: Request, ctx: StageContext, db: Session, row: RecordingSegment, target: str,
                 user_name: str) -> Response | None:
    """The file's answer fetched from the node that wrote it; None when it is to be read here (no
    cluster, shared storage, written here, or a request another node already forwarded)."""
    if request.scope.get("state", {}).get("auth_via") == "node":
        return None
    peer = node_peer(ctx, db, row.node)
    if peer is None:
        return None
    return forward.stream(ctx, peer, target, user_name, request.headers.get("range"))


def _stored_segment(request: Request, user: User, ctx: StageContext, db: Session, camera_id: str,
                    segment_id: int, suffix: str) -> Response | Path:
    """The segment's file on this node, or the answer of the node that holds it (the request forwarded
    there as the user)."""
    camera_for(user, camera_id, ctx)
    row = _segment(db, camera_id, segment_id)
    target = f"/api/recordings/{camera_id}/segments/{segment_id}{suffix}"
    remote = _from_holder(request, ctx, db, row, target, user.name)
    if remote is not None:
        return remote
    path = ctx.storage / row.path
    if not path.is_file():
        raise HTTPException(status_code=404, detail=f"segment {segment_id} was deleted (retention)")
    return path


@router.get("/api/recordings/{camera_id}/segments/{segment_id}.mp4", response_class=FileResponse,
            responses=binary("video/mp4", "the stored segment; Range requests answer 206"))
def segment_media(camera_id: str, segment_id: int, request: Request, user: CurrentUser, ctx: Ctx,
                  db: DbSession) -> Response:
    """A stored segment file as it is on disk; Range requests serve its init part and fragments."""
    stored = _stored_segment(request, user, ctx, db, camera_id, segment_id, ".mp4")
    if isinstance(stored, Response):
        return stored
    return FileResponse(stored, media_type="video/mp4", headers={"Cache-Control": SEGMENT_CACHE})


@router.get("/api/recordings/{camera_id}/segments/{segment_id}.jpg", response_class=FileResponse,
            responses=binary("image/jpeg", "the segment's keyframe thumbnail"))
def segment_thumbnail(camera_id: str, segment_id: int, request: Request, user: CurrentUser, ctx: Ctx,
                      db: DbSession) -> Response:
    """The small keyframe JPEG of a segment, made at its first request (see ``wawai.thumbnails``) by the
    node that holds the segment."""
    stored = _stored_segment(request, user, ctx, db, camera_id, segment_id, ".jpg")
    if isinstance(stored, Response):
        return stored
    path = ensure_thumbnail(stored)
    if path is None:
        raise HTTPException(status_code=404, detail=f"segment {segment_id} has no thumbnail")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": SEGMENT_CACHE})


@router.get("/api/recordings/{camera_id}/thumbnail.jpg", response_class=FileResponse,
            responses=binary("image/jpeg", "the thumbnail of the segment recorded then"))
def thumbnail_at(camera_id: str, at: str, request: Request, user: CurrentUser, ctx: Ctx,
                 db: DbSession) -> Response:
    """The thumbnail of the segment recorded at ``at`` (the timeline's hover)."""
    camera_for(user, camera_id, ctx)
    try:
        moment = parse_time(at)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    rows = segments_between(db, camera_id, moment, moment + 0.001)
    if not rows:
        raise HTTPException(status_code=404, detail=f"nothing recorded for {camera_id} then")
    return segment_thumbnail(camera_id, rows[0].id, request, user, ctx, db)


@router.get("/api/recordings/{camera_id}/activity", response_model=Activity)
def activity(camera_id: str, start: str, end: str, user: CurrentUser, ctx: Ctx, db: DbSession,
             ) -> dict[str, Any]:
    """Per-minute activity stored by analytics: ``minutes`` of [minute, frames, motion_frames, detections]."""
    camera_for(user, camera_id, ctx)
    begin, finish = _range(start, end, MAX_ACTIVITY_SECONDS)
    rows = minutes_between(db, camera_id, begin, finish)
    return {"camera_id": camera_id, "start": begin, "end": finish,
            "minutes": [[r.minute, r.frames, r.motion_frames, r.detections] for r in rows]}

