"""Users for admins: list, add, change role and groups, disable and enable, set a password.

The same rules as ``wawai user`` (wawai.accounts), audited with the same actions. An admin cannot
disable or demote themselves (409): the site must keep someone who can undo it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from wawai import accounts
from wawai.audit import record
from wawai.db.users import Role, User
from webui.deps import AdminUser, DbSession
from webui.models import UserAccount

router = APIRouter()


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    password: str
    role: str
    groups: list[str] = []


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    groups: list[str] | None = None
    disabled: bool | None = None


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str


def user_json(user: User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "groups": user.groups, "disabled": user.disabled,
            "created_at": user.created_at.isoformat(), "tokens": len(user.tokens)}


def _existing(db: Session, name: str) -> User:
    user = accounts.find_user(db, name)
    if user is None:
        raise HTTPException(status_code=404, detail=f"no user {name!r}")
    return user


def _refused(exc: accounts.AccountError) -> HTTPException:
    return HTTPException(status_code=422, detail=str(exc))


@router.get("/api/users", response_model=list[UserAccount])
def list_users(admin: AdminUser, db: DbSession) -> list[dict[str, Any]]:
    return [user_json(user) for user in db.scalars(select(User).order_by(User.name))]


@router.post("/api/users", status_code=201, response_model=UserAccount)
def add_user(body: NewUser, admin: AdminUser, db: DbSession) -> dict[str, Any]:
    if accounts.find_user(db, body.name) is not None:
        raise HTTPException(status_code=409, detail=f"user {body.name!r} already exists")
    try:
        user = accounts.create_user(db, body.name, body.password, body.role, body.groups)
        accounts.set_groups(db, user, body.groups)
    except accounts.AccountError as exc:
        raise _refused(exc) from None
    record(db, admin.name, "user.added", user=user.name, role=user.role, groups=user.groups, via="web")
    db.commit()
    return user_json(user)


@router.patch("/api/users/{name}", response_model=UserAccount)
def change_user(name: str, body: UserChange, admin: AdminUser, db: DbSession) -> dict[str, Any]:
    user = _existing(db, name)
    if user.id == admin.id and (body.disabled or (body.role is not None and body.role != Role.ADMIN.value)):
        raise HTTPException(status_code=409,
                            detail="you cannot disable or demote yourself; ask another admin")
    try:
        if body.role is not None and body.role != user.role:
            accounts.set_role(db, user, body.role)
            record(db, admin.name, "user.role_set", user=user.name, role=user.role, via="web")
        if body.groups is not None and sorted(set(body.groups)) != user.groups:
            accounts.set_groups(db, user, body.groups)
            record(db, admin.name, "user.groups_set", user=user.name, groups=user.groups, via="web")
    except accounts.AccountError as exc:
        raise _refused(exc) from None
    if body.disabled is not None and body.disabled != user.disabled:
        accounts.set_disabled(db, user, body.disabled)
        action = "user.disabled" if body.disabled else "user.enabled"
        record(db, admin.name, action, user=user.name, via="web")
    db.commit()
    return user_json(user)


@router.put("/api/users/{name}/password", status_code=204)
def reset_password(name: str, body: NewPassword, admin: AdminUser, db: DbSession) -> Response:
    user = _existing(db, name)
    try:
        accounts.set_password(db, user, body.password)
    except accounts.AccountError as exc:
        raise _refused(exc) from None
    record(db, admin.name, "user.password_set", user=user.name, via="web")
    db.commit()
    return Response(status_code=204)
