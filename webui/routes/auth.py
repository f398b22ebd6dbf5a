"""Signing in and out: POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me."""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from wawai import accounts
from wawai.audit import record
from wawai.db.users import User
from wawai.stage import StageContext
from wawai.workpool import PoolFull
from webui.deps import Ctx, CurrentUser, DbSession, Pools, busy
from webui.models import LoginAnswer, Ok, UserInfo
from webui.security import CSRF_COOKIE, SESSION_COOKIE

log = logging.getLogger(__name__)
router = APIRouter()


class LoginRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


def user_json(user: User) -> dict[str, object]:
    return {"name": user.name, "role": user.role, "groups": user.groups, "language": user.language or "en"}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/api/auth/login", response_model=LoginAnswer)
async def login(
    body: LoginRequest, request: Request, response: Response, ctx: Ctx, pools: Pools
) -> dict[str, object]:
    """The password check (argon2, slow on purpose) runs in the sign-in pool, never in the threads that
    answer other requests; a full pool answers 503 with Retry-After."""
    address = client_address(request)
    try:
        user, new = await pools.logins.run(_sign_in, ctx, body, address)
    except PoolFull as exc:
        raise busy(exc) from None
    web = ctx.config.site.web
    secure = request.url.scheme == "https"
    max_age = int(web.session_hours * 3600)
    response.set_cookie(SESSION_COOKIE, new.cookie, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")
    # Readable by the page's script, which copies it into X-CSRF-Token on every state-changing request.
    response.set_cookie(CSRF_COOKIE, new.csrf, max_age=max_age, httponly=False, samesite="strict",
                        secure=secure, path="/")
    return {"user": user_json(user), "csrf": new.csrf}


def _sign_in(ctx: StageContext, body: LoginRequest, address: str) -> tuple[User, accounts.NewSession]:
    """Blocking: reserve the attempt, check the password, open the session (raises 401/429)."""
    with ctx.sessions() as db:
        return _sign_in_with(db, ctx, body, address)


def _sign_in_with(
    db: Session, ctx: StageContext, body: LoginRequest, address: str
) -> tuple[User, accounts.NewSession]:
    web = ctx.config.site.web
    wait, attempt = accounts.reserve_login(
        db, body.name, address, window_seconds=web.login_window_seconds,
        max_per_user=web.login_max_failures_per_user, max_per_address=web.login_max_failures_per_address,
    )
    if attempt is None:
        log.warning("login for %r from %s refused: too many failed attempts", body.name, address)
        raise HTTPException(
            status_code=429, detail="too many failed sign-ins; wait and try again",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    user = accounts.authenticate(db, body.name, body.password)
    if user is None:
        # Failed sign-ins are audited too (the name as typed; never the password).
        record(db, body.name, "auth.failed", address=address)
        db.commit()
        log.warning("failed login for %r from %s", body.name, address)
        raise HTTPException(status_code=401, detail="wrong user name or password")
    accounts.login_succeeded(db, attempt)
    new = accounts.create_web_session(db, user, web.session_hours)
    record(db, user.name, "auth.login", address=address)
    db.commit()
    return user, new


@router.post("/api/auth/logout", response_model=Ok)
def logout(request: Request, response: Response, user: CurrentUser, db: DbSession) -> dict[str, bool]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.end_web_session(db, cookie)
        record(db, user.name, "auth.logout")
        db.commit()
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")
    return {"ok": True}


@router.get("/api/auth/me", response_model=UserInfo)
def me(user: CurrentUser, ctx: Ctx) -> dict[str, object]:
    """Who is signed in, their language and the site's time zone (the pages show times in it)."""
    site = ctx.config.site.site
    return {**user_json(user), "site": {"name": site.name, "timezone": site.timezone}}
