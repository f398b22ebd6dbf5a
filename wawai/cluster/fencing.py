"""Fenced writes: a write made for a camera carries the ownership epoch it was made under, and is refused
when the camera has moved on (or its owner's lease ran out), so a node that froze and woke up can never
write over its successor.

Use: inside the transaction that writes the rows, call ``check_fence(session, fence)`` first and commit
afterwards. On PostgreSQL the check takes a share lock on the camera's owner row until that commit, so a
claim (which needs the row exclusively) waits for the write or skips the camera this round: a write is
either committed under a valid epoch or refused, never committed after a takeover. A single node has no
fence (``None``) and writes as before. The check is PostgreSQL's (a cluster refuses SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from wawai.db.cluster import CameraOwner, ClusterNode


@dataclass(frozen=True)
class Fence:
    """The ownership a write claims: this node, in this life, owns the camera at this epoch."""

    camera_id: str
    node: str
    incarnation: int
    epoch: int


class StaleOwnership(Exception):
    """The camera is no longer owned under the write's fence; the write must be dropped, not retried."""

    def __init__(self, fence: Fence) -> None:
        super().__init__(f"write for camera {fence.camera_id!r} refused: node {fence.node!r} no longer "
                         f"owns it at epoch {fence.epoch}")
        self.fence: Fence | None = fence  # None: the node never owned the camera (camera_fences)


def check_fence(session: Session, fence: Fence) -> None:
    """Raise StaleOwnership unless ``fence`` still holds; keeps the owner row share-locked until commit."""
    query = (
        select(CameraOwner.epoch)
        .join(ClusterNode, and_(ClusterNode.name == CameraOwner.node,
                                ClusterNode.incarnation == CameraOwner.incarnation))
        .where(CameraOwner.camera_id == fence.camera_id, CameraOwner.node == fence.node,
               CameraOwner.incarnation == fence.incarnation, CameraOwner.epoch == fence.epoch,
               ClusterNode.lease_expires > func.clock_timestamp())
        .with_for_update(read=True, of=CameraOwner)
    )
    if session.execute(query).first() is None:
        raise StaleOwnership(fence)


def check_fences(session: Session, camera_ids: list[str], fence: Fence | None) -> None:
    """The check for a batch of rows: every row must belong to the fence's camera."""
    if fence is None:
        return
    strangers = sorted({camera for camera in camera_ids if camera != fence.camera_id})
    if strangers:
        raise ValueError(f"rows of camera(s) {', '.join(strangers)} under the fence of {fence.camera_id!r}")
    check_fence(session, fence)
