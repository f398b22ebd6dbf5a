"""Which node serves a camera's live view or a recording's files, read from the shared database.

Live: the camera's owner in ``camera_owners`` whose lease in ``cluster_nodes`` is running. Recordings: the
node named on the segment row (0015_segment_node), unless the site has shared storage
(``cluster.shared_storage``), where every node reads every file itself. ``None`` means "serve it here".
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from wawai.cluster.member import node_name
from wawai.db.cluster import CameraOwner, ClusterNode
from wawai.stage import StageContext

RETRY_AFTER_SECONDS = 5  # an owner that just died is replaced within a lease


@dataclass(frozen=True)
class Peer:
    name: str
    url: str  # its advertise_url, without a trailing slash


def this_node(ctx: StageContext) -> str | None:
    cluster = ctx.config.site.cluster
    return node_name(cluster) if cluster is not None else None


def _unavailable(detail: str) -> HTTPException:
    return HTTPException(status_code=503, detail=detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _alive(session: Session, name: str) -> Peer | None:
    row = session.execute(
        select(ClusterNode.name, ClusterNode.advertise_url)
        .where(ClusterNode.name == name, ClusterNode.lease_expires > func.now())
    ).first()
    if row is None or not row.advertise_url:
        return None
    return Peer(row.name, row.advertise_url.rstrip("/"))


def live_owner(ctx: StageContext, session: Session, camera_id: str) -> Peer | None:
    """The node that owns the camera when it is another one; None when this node serves it (or there is
    no cluster). 503 when no live node owns it right now (a failover in progress)."""
    me = this_node(ctx)
    if me is None:
        return None
    row = session.execute(
        select(CameraOwner.node, ClusterNode.advertise_url)
        .join(ClusterNode, and_(ClusterNode.name == CameraOwner.node,
                                ClusterNode.incarnation == CameraOwner.incarnation))
        .where(CameraOwner.camera_id == camera_id, ClusterNode.lease_expires > func.now())
    ).first()
    session.commit()  # end the read: the next look-up must see a fresh now()
    if row is None:
        raise _unavailable(f"camera {camera_id!r} has no live owner in the cluster right now; try again")
    if row.node == me:
        return None
    if not row.advertise_url:
        raise _unavailable(f"node {row.node!r}, which owns camera {camera_id!r}, has no advertise_url")
    return Peer(row.node, row.advertise_url.rstrip("/"))


def node_peer(ctx: StageContext, session: Session, name: str | None) -> Peer | None:
    """The node that holds files written by node ``name``: None when it is this node, no cluster, or
    shared storage; 503 when that node is down."""
    me = this_node(ctx)
    cluster = ctx.config.site.cluster
    if me is None or cluster is None or cluster.shared_storage or name is None or name == me:
        return None
    peer = _alive(session, name)
    session.commit()
    if peer is None:
        raise _unavailable(f"node {name!r}, which holds this recording, is not running; try again later")
    return peer
