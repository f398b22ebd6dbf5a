"""Cluster changes in the audit log and on the bus: node joins, node losses, camera moves.

Events (published on the bus, so every web node's WebSocket gets them through NATS):
- ``cluster.node_joined`` ``{node, life, roles}`` and ``cluster.node_lost`` ``{node, life}`` (admins only);
- ``cluster.camera_moved`` ``{camera_id, node, epoch, change, reason}``: ``change`` is ``claimed`` (the
  node started the camera) or ``released`` (it stopped it: ``reason`` ``released`` for a placement
  change, ``moved``, ``lease_lost``, ``refused`` or ``stopping``).

Joins and losses are seen by every node (each compares the live nodes with what it saw a round before),
but recorded once: under the audit chain's lock a node first looks for the row another node may have
written for the same node life. Camera moves are recorded by the node that made them. All of it runs on
a thread of its own, so a slow database never holds up the coordinator that reported a move.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from wawai import audit
from wawai.bus import EventBus
from wawai.cluster import leases
from wawai.db.audit import AuditEntry

log = logging.getLogger(__name__)

AUDIT_USER = "cluster"  # the audit log's actor for what the cluster does by itself
NODE_JOINED = "cluster.node_joined"
NODE_LOST = "cluster.node_lost"
CAMERA_MOVED = "cluster.camera_moved"
EVENT_TYPES = (NODE_JOINED, NODE_LOST, CAMERA_MOVED)
# How far back a node looks for another node's record of the same join or loss.
DEDUPE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class CameraMove:
    camera_id: str
    node: str
    epoch: int | None
    change: str  # "claimed" | "released"
    reason: str | None = None


@dataclass
class ClusterReporter:
    sessions: sessionmaker[Session]
    bus: EventBus
    node: str
    period: float  # seconds between two looks at the live nodes
    _moves: queue.Queue[CameraMove | None] = field(default_factory=queue.Queue)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _seen: dict[str, tuple[int, tuple[str, ...]]] | None = None  # node -> (life, roles), last round
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._watch_nodes, name=f"cluster-{self.node}-report", daemon=True),
            threading.Thread(target=self._write_moves, name=f"cluster-{self.node}-moves", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Write the moves queued so far (a leaving node's releases), then end."""
        self._stopping.set()
        self._moves.put(None)
        for thread in self._threads:
            thread.join(timeout=10)

    def camera_moved(self, move: CameraMove) -> None:
        self._moves.put(move)

    # --- node joins and losses ---------------------------------------------------------------------

    def observe(self) -> None:
        """One look at the live nodes: record the lives that appeared and those that ended."""
        with self.sessions() as session:
            live = {node.name: (node.incarnation, node.roles) for node in leases.live_nodes(session)}
        before, self._seen = self._seen, live
        for name, (life, roles) in sorted(live.items()):
            if before is None or before.get(name, (None,))[0] != life:
                self._record_once(NODE_JOINED, name, life, roles=list(roles))
        for name, (life, _roles) in sorted((before or {}).items()):
            if live.get(name, (None,))[0] != life:
                self._record_once(NODE_LOST, name, life)

    def _record_once(self, action: str, node: str, life: int, **extra: Any) -> None:
        detail = {"node": node, "life": life, **extra}
        with self.sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                # The audit chain's own lock (record takes it again): two nodes noticing the same loss
                # at once write one row between them.
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": audit.ADVISORY_LOCK_KEY})
            recent: list[Any] = list(session.scalars(
                select(AuditEntry.detail)
                .where(AuditEntry.action == action, AuditEntry.at > func.now() - DEDUPE_WINDOW)
            ))
            if any(isinstance(d, dict) and d.get("node") == node and d.get("life") == life for d in recent):
                session.rollback()
                return
            audit.record(session, AUDIT_USER, action, **detail)
            session.commit()
        log.info("cluster: %s %s (life %d)", action.removeprefix("cluster."), node, life)
        self.bus.publish({"type": action, "audience": "admin", **detail})

    def _watch_nodes(self) -> None:
        while not self._stopping.is_set():
            try:
                self.observe()
            except SQLAlchemyError as exc:
                log.warning("cluster: node changes not recorded this round (%s)", exc.__class__.__name__)
            self._stopping.wait(self.period)

    # --- camera moves ------------------------------------------------------------------------------

    def _write_moves(self) -> None:
        while True:
            move = self._moves.get()
            if move is None:
                return
            detail = {"node": move.node, "epoch": move.epoch, "change": move.change, "reason": move.reason}
            try:
                with self.sessions() as session:
                    audit.record(session, AUDIT_USER, CAMERA_MOVED, camera_id=move.camera_id, **detail)
                    session.commit()
            except SQLAlchemyError as exc:  # a node cut off from the database: the move is still shown
                log.warning("cluster: camera %s %s, not audited (%s)", move.camera_id, move.change,
                            exc.__class__.__name__)
            self.bus.publish({"type": CAMERA_MOVED, "camera_id": move.camera_id, **detail})
