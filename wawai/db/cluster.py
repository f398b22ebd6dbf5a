"""Cluster state: the node registry with its leases, and who owns each camera.

Lease times are written by the database's own clock (``now()``), never a node's: nodes' clocks may
disagree, the database's is the one every node compares against. A node row keeps its name across
restarts; ``incarnation`` grows on every registration, so cameras owned by a previous life of the same
node are recognised as orphaned. ``epoch`` grows on every change of a camera's owner; writes carry the
epoch they were made under (see wawai.cluster.fencing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wawai.db.base import Base, UTCDateTime


class ClusterNode(Base):
    __tablename__ = "cluster_nodes"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    incarnation: Mapped[int] = mapped_column(Integer)
    roles: Mapped[str] = mapped_column(String(100))  # comma-separated: "record,web"
    advertise_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    capacity: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_expires: Mapped[datetime] = mapped_column(UTCDateTime)
    # Percent of one core the node's process used since its previous renewal (0015_node_cpu).
    cpu_percent: Mapped[float | None] = mapped_column(Float, nullable=True)

    @property
    def role_list(self) -> list[str]:
        return [role for role in self.roles.split(",") if role]


class CameraOwner(Base):
    __tablename__ = "camera_owners"
    __table_args__ = (Index("ix_camera_owners_node", "node"),)

    camera_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    node: Mapped[str | None] = mapped_column(String(63), nullable=True)  # None: waiting for an owner
    incarnation: Mapped[int | None] = mapped_column(Integer, nullable=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
