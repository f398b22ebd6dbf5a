"""Typed dependencies for routes: who is calling, the database, the StageContext, camera access.

``AuthMiddleware`` has already authenticated the request (or refused it); these read its result.
``CurrentUser`` is a detached snapshot (name, role, groups): to change the user, load it in your own
session with ``db.get(User, user.id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.requests import HTTPConnection
from sqlalchemy.orm import Session

from wawai.config.schema import CameraConfig
from wawai.db.users import Role, User
from wawai.stage import StageContext
from wawai.workpool import PoolFull, WorkPool


def get_ctx(connection: HTTPConnection) -> StageContext:
    ctx: StageContext = connection.app.state.ctx
    return ctx


Ctx = Annotated[StageContext, Depends(get_ctx)]


def get_db(ctx: Ctx) -> Iterator[Session]:
    with ctx.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def get_user(connection: HTTPConnection) -> User:
    user: User | None = connection.scope.get("state", {}).get("user")
    if user is None:
        raise HTTPException(status_code=401, detail="sign in first")
    return user


def _needs(role: Role) -> Callable[[User], User]:
    def check(user: Annotated[User, Depends(get_user)]) -> User:
        if not user.has_role(role):
            raise HTTPException(status_code=403, detail=f"needs the {role.value} role")
        return user

    return check


CurrentUser = Annotated[User, Depends(get_user)]
SupervisorUser = Annotated[User, Depends(_needs(Role.SUPERVISOR))]
AdminUser = Annotated[User, Depends(_needs(Role.ADMIN))]


@dataclass(frozen=True)
class WebPools:
    """The app's pools for heavy work (``wawai.workpool``): clip exports, argon2 sign-ins."""

    exports: WorkPool
    logins: WorkPool


def get_pools(connection: HTTPConnection) -> WebPools:
    state = connection.app.state
    pools: WebPools | None = getattr(state, "work_pools", None)
    if pools is None:
        web = state.ctx.config.site.web
        pools = WebPools(
            exports=WorkPool("clip exports", workers=web.export_workers, queue=web.export_queue,
                             per_key=web.exports_per_user),
            logins=WorkPool("sign-ins", workers=web.login_workers, queue=web.login_queue, retry_after=2),
        )
        state.work_pools = pools
    return pools


Pools = Annotated[WebPools, Depends(get_pools)]


def busy(exc: PoolFull) -> HTTPException:
    """503 with Retry-After for a full pool."""
    return HTTPException(status_code=503, detail=str(exc), headers={"Retry-After": str(exc.retry_after)})


def camera_for(user: User, camera_id: str, ctx: StageContext) -> CameraConfig:
    """The camera's config, or 404: unknown and outside the user's groups answer the same, so a
    group-limited user cannot tell which camera ids exist elsewhere."""
    camera = ctx.config.cameras.get(camera_id)
    if camera is None or not user.may_see_group(camera.group):
        raise HTTPException(status_code=404, detail=f"no camera {camera_id[:100]!r} that you may see")
    return camera


def visible_cameras(user: User, ctx: StageContext) -> list[CameraConfig]:
    return [cam for cam in ctx.config.cameras.values() if user.may_see_group(cam.group)]


__all__ = [
    "AdminUser",
    "Ctx",
    "CurrentUser",
    "DbSession",
    "Pools",
    "SupervisorUser",
    "busy",
    "camera_for",
    "get_ctx",
    "get_db",
    "get_pools",
    "get_user",
    "visible_cameras",
]
