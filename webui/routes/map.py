"""The map page's settings (tiles, site plan, where to start) and the site plan picture.

Tiles come straight from ``site.map.tile_url`` into the browser (the CSP allows that origin); with no
tile server the page draws a plain background with a scale, or the site plan between its corners.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from webui.deps import Ctx, CurrentUser, visible_cameras
from webui.models import MapSettings, media

router = APIRouter()

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


@router.get("/api/map", response_model=MapSettings)
def map_settings(user: CurrentUser, ctx: Ctx) -> dict[str, Any]:
    settings = ctx.config.site.site.map
    center = settings.center
    if center is None:
        placed = [cam.location for cam in visible_cameras(user, ctx) if cam.location is not None]
        if placed:  # the middle of the cameras the user may see
            center = (sum(p.lat for p in placed) / len(placed), sum(p.lon for p in placed) / len(placed))
    image = settings.image
    return {
        "tile_url": settings.tile_url,
        "attribution": settings.attribution,
        "max_zoom": settings.max_zoom,
        "center": list(center) if center else None,
        "zoom": settings.zoom,
        "image": {"url": "/api/map/image", "south_west": list(image.south_west),
                  "north_east": list(image.north_east)} if image else None,
        "timezone": ctx.config.site.site.timezone,
        "camera_radius_m": ctx.config.site.complaints.camera_radius_m,
    }


@router.get("/api/map/image", response_class=FileResponse,
            responses={200: {"content": media(*sorted(set(IMAGE_TYPES.values()))),
                             "description": "the site plan picture"}})
def map_image(user: CurrentUser, ctx: Ctx) -> FileResponse:
    image = ctx.config.site.site.map.image
    if image is None:
        raise HTTPException(status_code=404, detail="no site plan configured (site.map.image)")
    path = ctx.config.resolve(image.path)
    media_type = IMAGE_TYPES.get(path.suffix.lower())
    if media_type is None or not path.is_file():
        raise HTTPException(status_code=404, detail=f"site plan {path.name} is missing")
    return FileResponse(path, media_type=media_type)
