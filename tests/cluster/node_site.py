"""A cluster of real nodes for tests: ``python -m wawai.node --config DIR`` per node, each with its own
config folder, storage and web port, the same camera files, one PostgreSQL and one ``nats-server -js``.

    with running_site(tmp, postgres, nats_server, cameras) as site:
        site.wait_settled()
        site.nodes["node-a"].get("/api/cameras")

``cameras`` maps camera id -> the YAML body of its file (``rtsp_cameras`` makes them from the real RTSP
server). One admin (``site.token``, valid on every node: the database is shared) and, per node, its log
file (``node.log_text()``) to read what it did. ``kill`` (SIGKILL), ``freeze``/``thaw`` (SIGSTOP/SIGCONT)
and ``restart`` act on one node process. Which node wrote an index row is told by the storage that holds
its file (``site.writer_of``): the rows themselves name no node, exactly as on a real site.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.app_fixtures import free_port
from tests.support.postgres import PostgresServer
from tests.support.rtsp_fixtures import RtspServer
from tests.support.waiting import wait_for
from wawai import accounts
from wawai.assets import REPO_ROOT
from wawai.cluster import ownership
from wawai.cluster.placement import place
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.recordings import RecordingSegment

NAMES = ("node-a", "node-b", "node-c")
LEASE = 3.0  # the config's minimum: failover stays short
SEGMENT_SECONDS = 2
START_SECONDS = 90.0  # generous: three Python processes importing everything on a busy 2-core machine
# Six cameras, six mounts of the real RTSP server (one session per camera: as on a real site, where each
# camera is its own device), all light enough for a 2-core machine.
MOUNTS = ("vtest", "vtest30", "people", "cars", "gop1", "slices")


def rtsp_cameras(server: RtspServer, mounts: tuple[str, ...] = MOUNTS) -> dict[str, str]:
    """camera id -> camera file body, one camera per mount, recording continuously, no detection."""
    return {f"cam-{mount}": f"name: Cam {mount}\ngroup: metro\nstreams: {{main: {server.url(mount)}}}\n"
            for mount in mounts}


@dataclass
class SiteNode:
    name: str
    root: Path
    port: int
    token: str
    roles: tuple[str, ...]
    process: subprocess.Popen[bytes] | None = None
    _log: Any = None

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def storage(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "node.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wawai.node", "--config", str(self.config_dir)], cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def client(self, timeout: float = 10) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"},
                            timeout=timeout)

    def get(self, path: str) -> Any:
        with self.client() as client:
            answer = client.get(path)
            answer.raise_for_status()
            return answer.json()

    def healthy(self) -> bool:
        try:
            with self.client(timeout=2) as client:
                return client.get("/api/health").status_code == 200
        except httpx.HTTPError:
            return False

    def signal(self, signum: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signum)

    def kill(self) -> None:
        """kill -9: no goodbye, no release; its cameras move when its lease runs out."""
        if self.alive:
            self.signal(signal.SIGKILL)
        self._reap()

    def freeze(self) -> None:
        self.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.signal(signal.SIGCONT)

    def terminate(self, timeout: float = 30) -> None:
        if self.alive:
            self.signal(signal.SIGCONT)  # a frozen process cannot handle SIGTERM
            self.signal(signal.SIGTERM)
            try:
                assert self.process is not None
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        if self.process is not None:
            self.process.wait(timeout=30)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class ClusterSite:
    root: Path
    db_url: str
    nats_url: str
    cameras: dict[str, str]
    names: tuple[str, ...] = NAMES
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # default: record and web
    lease: float = LEASE
    nodes: dict[str, SiteNode] = field(default_factory=dict)
    token: str = ""
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        upgrade(self.db_url)  # once, before the nodes (each runs `upgrade heads` too: then a no-op)
        self.sessions = make_sessionmaker(self.db_url)
        with self.sessions() as db:
            admin = accounts.create_user(db, "admin1", "long enough pw", "admin")
            self.token = accounts.create_token(db, admin)
            db.commit()
        for name in self.names:
            node = SiteNode(name, self.root / name, free_port(), self.token,
                            self.roles.get(name, ("record", "web")))
            self._write_config(node)
            self.nodes[name] = node

    def _write_config(self, node: SiteNode) -> None:
        cameras = node.config_dir / "cameras"
        cameras.mkdir(parents=True, exist_ok=True)
        (node.config_dir / "wawai.yaml").write_text(textwrap.dedent(f"""\
            site: {{name: Cluster Test, timezone: Asia/Jakarta}}
            storage: {{path: {node.storage}}}
            database: {{url: "{self.db_url}"}}
            web: {{host: 127.0.0.1, port: {node.port}}}
            defaults:
              detect: {{enabled: false}}
              record: {{segment_seconds: {SEGMENT_SECONDS}}}
            reload: {{watch: false}}
            cluster:
              node: {node.name}
              nats_url: {self.nats_url}
              roles: [{", ".join(node.roles)}]
              advertise_url: {node.url}
              lease_seconds: {self.lease:g}
            """))
        for camera_id, body in self.cameras.items():
            (cameras / f"{camera_id}.yaml").write_text(body)

    # --- processes -------------------------------------------------------------------------------

    def start(self) -> None:
        for node in self.nodes.values():
            node.start()
        for node in self.nodes.values():
            wait_for(node.healthy, START_SECONDS, f"node {node.name} answering /api/health")

    def stop(self) -> None:
        for node in self.nodes.values():
            node.terminate()
        self.sessions.kw["bind"].dispose()

    def record_nodes(self, *, alive_only: bool = True) -> list[SiteNode]:
        return [node for node in self.nodes.values()
                if "record" in node.roles and (node.alive or not alive_only)]

    # --- what the database says ------------------------------------------------------------------

    def owners(self) -> dict[str, str]:
        """camera -> node, for cameras whose owner's lease is running."""
        with self.sessions() as session:
            return {o.camera_id: o.node for o in ownership.owners(session) if o.alive and o.node}

    def placement(self, nodes: list[SiteNode] | None = None) -> dict[str, str | None]:
        nodes = self.record_nodes() if nodes is None else nodes
        return place(self.cameras, {node.name: 100 for node in nodes})

    def settled(self, nodes: list[SiteNode] | None = None) -> bool:
        """Every camera is owned by the node placement gives it among ``nodes`` (default: the live
        record nodes)."""
        return self.owners() == self.placement(nodes)

    def wait_settled(self, timeout: float = START_SECONDS, nodes: list[SiteNode] | None = None) -> None:
        wait_for(lambda: self.settled(nodes), timeout, "every camera owned where placement puts it")

    def segments(self, camera_id: str | None = None) -> list[RecordingSegment]:
        with self.sessions() as session:
            query = select(RecordingSegment).order_by(RecordingSegment.camera_id, RecordingSegment.start)
            if camera_id is not None:
                query = query.where(RecordingSegment.camera_id == camera_id)
            rows = list(session.scalars(query))
            session.expunge_all()
            return rows

    def writer_of(self, segment: RecordingSegment) -> str | None:
        """The node whose storage holds the segment's file (None: no node has it)."""
        holders = [name for name, node in self.nodes.items() if (node.storage / segment.path).exists()]
        assert len(holders) <= 1, f"segment {segment.path} is on several nodes: {holders}"
        return holders[0] if holders else None


@contextmanager
def running_site(root: Path, postgres: PostgresServer, nats_url: str, cameras: dict[str, str],
                 **options: Any) -> Iterator[ClusterSite]:
    """A started site on a fresh database of ``postgres``; every node stopped and the database dropped
    after the block."""
    db_url = postgres.create_database()
    site = ClusterSite(root, db_url, nats_url, cameras, **options)
    try:
        site.start()
        yield site
    finally:
        site.stop()
        postgres.drop_database(db_url)
