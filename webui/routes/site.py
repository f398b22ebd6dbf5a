"""GET /api/site: what pages need to know about the site (its name and time zone), for signed-in users."""

from __future__ import annotations

from fastapi import APIRouter

from webui.deps import Ctx, CurrentUser
from webui.models import SiteInfo

router = APIRouter()


@router.get("/api/site", response_model=SiteInfo)
def site(user: CurrentUser, ctx: Ctx) -> dict[str, str]:
    settings = ctx.config.site.site
    return {"name": settings.name, "timezone": settings.timezone}
