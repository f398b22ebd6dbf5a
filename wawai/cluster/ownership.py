"""Camera ownership rows: claiming orphans, releasing, and reading who owns what. PostgreSQL only.

A camera is an orphan when its row names no node, or a node life whose lease has run out. Claims lock the
rows they take with ``FOR UPDATE SKIP LOCKED``: two nodes claiming at once never wait on each other and
never both win; a row being written under a fence (share-locked, see fencing) is skipped until the next
round. Every change of owner increments the camera's epoch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Exists

from wawai.cluster.fencing import Fence
from wawai.db.cluster import CameraOwner, ClusterNode


@dataclass(frozen=True)
class Owner:
    camera_id: str
    node: str | None
    epoch: int
    alive: bool  # the owner's lease is running


def ensure_cameras(session: Session, camera_ids: Iterable[str]) -> None:
    """Rows for cameras the cluster has not seen yet (without an owner). Usually all exist: they are
    looked up first, so a node joining a city-sized cluster sends no thousand-row insert."""
    wanted = set(camera_ids)
    known = set(session.scalars(select(CameraOwner.camera_id).where(CameraOwner.camera_id.in_(wanted))))
    missing = [{"camera_id": camera_id, "epoch": 0} for camera_id in sorted(wanted - known)]
    if missing:
        session.execute(insert(CameraOwner).on_conflict_do_nothing(), missing)
    session.commit()


def _owner_alive() -> Exists:
    return exists().where(
        ClusterNode.name == CameraOwner.node,
        ClusterNode.incarnation == CameraOwner.incarnation,
        ClusterNode.lease_expires > func.now(),
    )


def claim(session: Session, node: str, incarnation: int, camera_ids: Iterable[str]) -> list[Fence]:
    """Take those of ``camera_ids`` that are orphans; returns the fences of the cameras taken.

    The claim is refused as a whole when the claimer's own lease is not running (it would hand the
    cameras to a life that is already over).
    """
    wanted = sorted(set(camera_ids))
    if not wanted:
        return []
    me_alive = session.execute(
        select(ClusterNode.name)
        .where(ClusterNode.name == node, ClusterNode.incarnation == incarnation,
               ClusterNode.lease_expires > func.now())
        .with_for_update(read=True)
    ).first()
    if me_alive is None:
        session.rollback()
        return []
    orphans = list(session.scalars(
        select(CameraOwner.camera_id)
        .where(CameraOwner.camera_id.in_(wanted), or_(CameraOwner.node.is_(None), ~_owner_alive()))
        .order_by(CameraOwner.camera_id)
        .with_for_update(of=CameraOwner, skip_locked=True)
    ))
    if not orphans:
        session.commit()
        return []
    rows = session.execute(
        update(CameraOwner)
        .where(CameraOwner.camera_id.in_(orphans))
        .values(node=node, incarnation=incarnation, epoch=CameraOwner.epoch + 1, since=func.now())
        .returning(CameraOwner.camera_id, CameraOwner.epoch)
    ).all()
    session.commit()
    return sorted((Fence(camera_id, node, incarnation, epoch) for camera_id, epoch in rows),
                  key=lambda fence: fence.camera_id)


def release(session: Session, fences: Iterable[Fence]) -> list[str]:
    """Give cameras up (placed elsewhere, or the node stops); returns those that were still ours.

    Waits for a fenced write of such a camera in progress, then moves the epoch on so no later write
    under the old fence can land.
    """
    released = []
    for fence in fences:
        done = session.execute(
            update(CameraOwner)
            .where(CameraOwner.camera_id == fence.camera_id, CameraOwner.node == fence.node,
                   CameraOwner.incarnation == fence.incarnation, CameraOwner.epoch == fence.epoch)
            .values(node=None, incarnation=None, epoch=CameraOwner.epoch + 1, since=func.now())
            .returning(CameraOwner.camera_id)
        ).first()
        if done is not None:
            released.append(fence.camera_id)
    session.commit()
    return released


def owned_by(session: Session, node: str, incarnation: int) -> dict[str, Fence]:
    """The cameras the database says this node life owns, as fences."""
    rows = session.execute(
        select(CameraOwner.camera_id, CameraOwner.epoch)
        .where(CameraOwner.node == node, CameraOwner.incarnation == incarnation)
    ).all()
    session.commit()
    return {camera_id: Fence(camera_id, node, incarnation, epoch) for camera_id, epoch in rows}


def owners(session: Session) -> list[Owner]:
    """Every camera's owner (None: none yet), with whether that owner's lease is running."""
    alive = and_(CameraOwner.node.is_not(None), _owner_alive())
    rows = session.execute(
        select(CameraOwner.camera_id, CameraOwner.node, CameraOwner.epoch, alive)
        .order_by(CameraOwner.camera_id)
    ).all()
    session.commit()
    return [Owner(camera_id, node, epoch, bool(is_alive)) for camera_id, node, epoch, is_alive in rows]
