"""The node registry: a lease per node, timed by the database's clock and renewed every few seconds.

PostgreSQL only (the cluster refuses SQLite in config). A lease is a row, not an advisory lock: a frozen
node keeps its connection and would keep an advisory lock forever, while its lease row simply runs out.
Every time comparison is made with ``now()`` inside the database, so nodes' own clocks never matter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from wawai.db.cluster import ClusterNode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NodeInfo:
    """What a node announces about itself when it registers."""

    name: str
    roles: tuple[str, ...]
    capacity: int
    advertise_url: str | None = None


@dataclass(frozen=True)
class LiveNode:
    name: str
    incarnation: int
    roles: tuple[str, ...]
    capacity: int


def register(session: Session, info: NodeInfo, lease_seconds: float, cpu: float | None = None) -> int:
    """Start a new life of node ``info.name`` with a fresh lease; returns its incarnation.

    A previous life's cameras become orphans (their owner row names the old incarnation), which is what
    a restarted node needs: it must not believe it still owns what it owned before the crash.
    """
    lease = timedelta(seconds=lease_seconds)
    previous = session.execute(
        select(ClusterNode.incarnation, ClusterNode.lease_expires > func.now())
        .where(ClusterNode.name == info.name)
    ).first()
    if previous is not None and previous[1]:
        log.warning("node %s registers while its previous life's lease is still running "
                    "(a quick restart, or two nodes configured with the same name)", info.name)
    values = {
        "roles": ",".join(info.roles), "capacity": info.capacity, "advertise_url": info.advertise_url,
        "started_at": func.now(), "last_seen": func.now(), "lease_expires": func.now() + lease,
        "cpu_percent": cpu,
    }
    upsert = insert(ClusterNode).values(name=info.name, incarnation=1, **values)
    statement = upsert.on_conflict_do_update(
        index_elements=[ClusterNode.name],
        set_={"incarnation": ClusterNode.incarnation + 1, **values},
    ).returning(ClusterNode.incarnation)
    incarnation = int(session.execute(statement).scalar_one())
    session.commit()
    return incarnation


def renew(session: Session, name: str, incarnation: int, lease_seconds: float,
          cpu: float | None = None) -> bool:
    """Extend a lease that is still running, writing the node's CPU figure (wawai.cluster.cpu) with it.
    False when it already ran out (or another life of the node replaced this one): the node must then
    treat every camera as lost and register again."""
    result = session.execute(
        update(ClusterNode)
        .where(ClusterNode.name == name, ClusterNode.incarnation == incarnation,
               ClusterNode.lease_expires > func.now())
        .values(lease_expires=func.now() + timedelta(seconds=lease_seconds), last_seen=func.now(),
                cpu_percent=cpu)
        .returning(ClusterNode.name)
    ).first()
    session.commit()
    return result is not None


def expire(session: Session, name: str, incarnation: int) -> None:
    """End a lease now (a clean shutdown): the others take its cameras at their next round."""
    session.execute(
        update(ClusterNode)
        .where(ClusterNode.name == name, ClusterNode.incarnation == incarnation)
        .values(lease_expires=func.now())
    )
    session.commit()


def live_nodes(session: Session, role: str | None = None) -> list[LiveNode]:
    """Nodes whose lease is running, by name; with ``role``, only the nodes that have it."""
    rows = session.scalars(
        select(ClusterNode).where(ClusterNode.lease_expires > func.now()).order_by(ClusterNode.name)
    )
    nodes = [LiveNode(row.name, row.incarnation, tuple(row.role_list), row.capacity) for row in rows]
    session.commit()  # end the read transaction: the next round must see a fresh now()
    return [node for node in nodes if role is None or role in node.roles]
