"""The database engine of a cluster node: PostgreSQL with a server-side limit on idle transactions.

A fenced write share-locks its camera's owner row until it commits (wawai.cluster.fencing). A node frozen
in the middle of such a transaction (SIGSTOP, a VM pause) keeps its connection, and so the lock, for as
long as it is frozen: the other nodes' claims skip the locked row and the camera would stay dark. With
``idle_in_transaction_session_timeout`` the server ends such a transaction (and its locks) by itself,
half a lease after it went quiet, whatever the client does; the frozen node's commit then fails, and its
retry is refused by the fence. A real write is never idle that long (check, insert, commit).
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine


def idle_transaction_ms(lease_seconds: float) -> int:
    return max(500, int(lease_seconds * 1000 / 2))


def cluster_engine(url: str, lease_seconds: float) -> Engine:
    options = f"-c idle_in_transaction_session_timeout={idle_transaction_ms(lease_seconds)}"
    return create_engine(url, pool_pre_ping=True, connect_args={"options": options})
