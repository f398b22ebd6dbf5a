"""The signed-in user's own settings: ``GET /api/me`` and ``PATCH /api/me`` (``{"language": "id"}``)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict

from wawai import audit
from wawai.db.users import User
from wawai.stage import StageContext
from webui.deps import Ctx, CurrentUser, DbSession
from webui.models import UserInfo

router = APIRouter()

LANGUAGES = ("en", "id")


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["en", "id"] | None = None


def me_json(user: User, ctx: StageContext) -> dict[str, Any]:
    site = ctx.config.site.site
    return {"name": user.name, "role": user.role, "groups": user.groups, "language": user.language or "en",
            "site": {"name": site.name, "timezone": site.timezone}}


@router.get("/api/me", response_model=UserInfo)
def get_me(user: CurrentUser, ctx: Ctx) -> dict[str, Any]:
    return me_json(user, ctx)


@router.patch("/api/me", response_model=UserInfo)
def patch_me(body: MeUpdate, user: CurrentUser, ctx: Ctx, db: DbSession) -> dict[str, Any]:
    row = db.get(User, user.id)
    if row is None:
        raise HTTPException(status_code=404, detail="your user no longer exists")
    if body.language is not None and body.language != row.language:
        audit.record(db, row.name, "user.language", user=row.name, language=body.language,
                     previous=row.language)
        row.language = body.language
        db.commit()
    return me_json(row, ctx)
