"""This node's name and address in the cluster, with the config's documented defaults applied."""

from __future__ import annotations

import re
import socket

from wawai.config.schema import ClusterSection, WebSection


def node_name(cluster: ClusterSection) -> str:
    """``cluster.node``, else the host name lower-cased (made to fit ``[a-z0-9-]+``)."""
    if cluster.node:
        return cluster.node
    return re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().split(".")[0].lower()).strip("-")[:63] or "node"


def advertise_url(cluster: ClusterSection, web: WebSection) -> str:
    """``cluster.advertise_url``, else ``http://<web.host>:<web.port>``."""
    return (cluster.advertise_url or f"http://{web.host}:{web.port}").rstrip("/")
