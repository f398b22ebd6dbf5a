"""The cluster as the database sees it: nodes (alive, last seen, roles, capacity, cameras, CPU) and which
node owns each camera. One JSON-able shape for ``wawai cluster status`` and ``GET /api/cluster``.
Alive is decided by the database clock, like every lease."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wawai.cluster import ownership
from wawai.db.cluster import ClusterNode


def cluster_status(session: Session) -> dict[str, Any]:
    """``{"nodes": [...], "cameras": [...]}``, nodes by name, cameras by id."""
    owners = ownership.owners(session)
    owned = Counter(owner.node for owner in owners if owner.alive and owner.node)
    rows = session.execute(
        select(ClusterNode, ClusterNode.lease_expires > func.now()).order_by(ClusterNode.name)
    ).all()
    session.commit()
    nodes = [{
        "name": node.name,
        "alive": bool(alive),
        "last_seen": node.last_seen.isoformat(),
        "roles": node.role_list,
        "capacity": node.capacity,
        "cameras": owned.get(node.name, 0) if alive else 0,
        "advertise_url": node.advertise_url,
        "cpu_percent": node.cpu_percent,
        "life": node.incarnation,
    } for node, alive in rows]
    cameras = [{"camera": owner.camera_id, "node": owner.node if owner.alive else None,
                "epoch": owner.epoch} for owner in owners]
    return {"nodes": nodes, "cameras": cameras}
