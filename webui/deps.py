"""Typed dependencies for routes: who is calling, the database, the StageContext, camera access.

``AuthMiddleware`` has already authenticated the request (or refused it); these read its result.
``CurrentUser`` is a detached snapshot (name, role, groups): to change the user, load it in your own
session with ``db.get(User, user.id)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.requests import HTTPConnection
from sqlalchemy.orm import Session

from wawai import audit
from wawai.config.schema import CameraConfig, WebSection
from wawai.db.incidents import Incident
from wawai.db.users import Role, User
from wawai.stage import StageContext
from wawai.workpool import PoolFull, WorkPool
from webui.params import DB_INT_MAX, db_id_exists

log = logging.getLogger(__name__)


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
    """The app's pools for heavy work (``wawai.workpool``): exports (clips and evidence packages share
    one bound), argon2 sign-ins."""

    exports: WorkPool
    logins: WorkPool


def make_pools(web: WebSection) -> WebPools:
    return WebPools(
        exports=WorkPool("exports", workers=web.export_workers, queue=web.export_queue,
                         per_key=web.exports_per_user),
        logins=WorkPool("sign-ins", workers=web.login_workers, queue=web.login_queue, retry_after=2),
    )


def get_pools(connection: HTTPConnection) -> WebPools:
    state = connection.app.state
    pools: WebPools | None = getattr(state, "work_pools", None)
    if pools is None:
        pools = make_pools(state.ctx.config.site.web)
        state.work_pools = pools
    return pools


Pools = Annotated[WebPools, Depends(get_pools)]


def busy(exc: PoolFull) -> HTTPException:
    """503 with Retry-After for a full pool."""
    return HTTPException(status_code=503, detail=str(exc), headers={"Retry-After": str(exc.retry_after)})


def camera_for(user: User, camera_id: str, ctx: StageContext) -> CameraConfig:
    """The camera's config, or 404: unknown and outside the user's groups answer the same, so a
    group-limited user cannot tell which camera ids exist elsewhere; a refusal is audited."""
    camera = ctx.config.cameras.get(camera_id)
    if camera is not None and not user.may_see_group(camera.group):
        audit_denied(ctx, user, camera_id=camera_id, what="camera")
    if camera is None or not user.may_see_group(camera.group):
        raise HTTPException(status_code=404, detail=f"no camera {camera_id[:100]!r} that you may see")
    return camera


def camera_or_removed_for(user: User, camera_id: str, ctx: StageContext) -> CameraConfig | None:
    """Like ``camera_for``, except that admins still reach a camera whose file was removed (None):
    its recordings and incidents stay, and stay visible to them."""
    if camera_id not in ctx.config.cameras and user.has_role(Role.ADMIN):
        return None
    return camera_for(user, camera_id, ctx)
def audit_denied(ctx: StageContext, user: User, camera_id: str | None = None, **detail: object) -> None:
    """An attempt outside the user's departments, in the audit log (its own transaction: the request
    itself fails)."""
    try:
        with ctx.sessions() as db:
            audit.record(db, user.name, "access.denied", camera_id=camera_id, **detail)
            db.commit()
    except Exception:  # the refusal matters more than its audit row; say so loudly
        log.exception("could not audit a refused access by %s", user.name)


def incident_visible(user: User, incident: Incident, ctx: StageContext) -> bool:
    """May ``user`` see ``incident``? Camera incidents: the camera's group (department); a camera-less
    one (a complaint from Open311): its own group, the department that handles it."""
    if incident.camera_id is None:
        return incident.group_name is not None and user.may_see_group(incident.group_name)
    camera = ctx.config.cameras.get(incident.camera_id)
    if camera is None:
        return user.role_enum is Role.ADMIN  # a removed camera's incidents: admins only
    return user.may_see_group(camera.group)


def incident_for(user: User, incident_id: int, ctx: StageContext, db: Session) -> Incident:
    """The incident, or 404 (unknown) / 403 (outside the user's departments; audited)."""
    # Past 64 bits the driver raises instead of finding none: such an id cannot exist.
    incident: Incident | None = db.get(Incident, incident_id) if db_id_exists(incident_id) else None
    if incident is None:
        raise HTTPException(status_code=404, detail=f"no incident {min(incident_id, DB_INT_MAX + 1)}")
    if not incident_visible(user, incident, ctx):
        audit_denied(ctx, user, camera_id=incident.camera_id, what="incident", incident=incident_id)
        raise HTTPException(status_code=404, detail=f"no incident {incident_id}")  # as for a missing one
    return incident


def visible_cameras(user: User, ctx: StageContext) -> list[CameraConfig]:
    return [cam for cam in ctx.config.cameras.values() if user.may_see_group(cam.group)]


__all__ = [
    "AdminUser",
    "Ctx",
    "CurrentUser",
    "DbSession",
    "Pools",
    "SupervisorUser",
    "audit_denied",
    "busy",
    "camera_for",
    "camera_or_removed_for",
    "get_ctx",
    "get_db",
    "get_pools",
    "get_user",
    "incident_for",
    "incident_visible",
    "make_pools",
    "visible_cameras",
]
