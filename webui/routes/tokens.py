"""API tokens for admins: create (the token is in this one answer only), list, revoke.

The same rules as ``wawai token`` (wawai.accounts), audited with the same actions; a listing never
holds a token, only its id, owner, label and dates.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from wawai import accounts
from wawai.audit import record
from wawai.db.users import ApiToken
from webui.deps import AdminUser, DbSession
from webui.models import NewTokenAnswer, TokenInfo
from webui.params import db_id_exists

router = APIRouter()


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str
    label: str = Field(default="", max_length=100)


def token_json(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "user": row.user.name, "label": row.name,
            "created_at": row.created_at.isoformat(),
            "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None}


@router.get("/api/tokens", response_model=list[TokenInfo])
def list_tokens(admin: AdminUser, db: DbSession) -> list[dict[str, Any]]:
    return [token_json(row) for row in accounts.list_tokens(db)]


@router.post("/api/tokens", status_code=201, response_model=NewTokenAnswer)
def create_token(body: NewToken, admin: AdminUser, db: DbSession) -> dict[str, Any]:
    user = accounts.find_user(db, body.user)
    if user is None:
        raise HTTPException(status_code=404, detail=f"no user {body.user!r}")
    token = accounts.create_token(db, user, body.label)
    record(db, admin.name, "token.created", user=user.name, label=body.label, via="web")
    db.commit()
    row = accounts.list_tokens(db, user.name)[-1]
    return {**token_json(row), "token": token}


@router.delete("/api/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, admin: AdminUser, db: DbSession) -> Response:
    owner = accounts.revoke_token(db, token_id) if db_id_exists(token_id) else None
    if owner is None:
        raise HTTPException(status_code=404, detail=f"no token {token_id}")
    record(db, admin.name, "token.revoked", user=owner, token_id=token_id, via="web")
    db.commit()
    return Response(status_code=204)
