"""The cluster as an admin sees it: ``GET /api/cluster`` (nodes, alive, last seen, roles, cameras, CPU;
the owner of each camera), the same figures as ``wawai cluster status``; cluster.html shows them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from wawai.cluster.status import cluster_status
from webui.cluster.peers import this_node
from webui.deps import AdminUser, Ctx, DbSession
from webui.models import ClusterOverview

router = APIRouter()


@router.get("/api/cluster", response_model=ClusterOverview)
def cluster(user: AdminUser, ctx: Ctx, db: DbSession) -> dict[str, Any]:
    """Admins only. On a single node (no ``cluster`` section): ``enabled: false`` and empty lists."""
    if ctx.config.site.cluster is None:
        return {"enabled": False, "node": None, "nodes": [], "cameras": []}
    return {"enabled": True, "node": this_node(ctx), **cluster_status(db)}
