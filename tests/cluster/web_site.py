"""A small cluster of real node processes (``python -m wawai.node``) on one real PostgreSQL, for the web
side: record nodes that run camera "gate" from the real RTSP server, and a web node that serves the
browser and forwards to the camera's owner.

Ownership is written by real Coordinators in the test process, one per record node's name (with that
node's advertise_url), so a test decides when the owner changes. Until the node itself runs its
coordinator, every node runs every camera in its config; so the web node's copy of the camera points at a
closed port and does not record: it never owns the camera, and must not write segments of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from tests.cluster.helpers import LEASE
from tests.support.app_fixtures import free_port
from tests.support.waiting import wait_for
from wawai.assets import REPO_ROOT
from wawai.cluster.coordinator import Coordinator, CoordinatorThread
from wawai.cluster.leases import NodeInfo
from wawai.db.base import make_sessionmaker

CAMERA = "gate"
SECRET = "cluster-secret-for-the-web-tests-0123456789"
SECRET_ENV = "WAWAI_TEST_CLUSTER_SECRET"
TIMEZONE = "Asia/Jakarta"
SEGMENT_SECONDS = 2
START_SECONDS = 90.0  # a node process under load: imports, migrations, the web server


def node_config(root: Path, name: str, url: str, port: int, camera_url: str, roles: str,
                record: bool, views_per_user: int) -> Path:
    directory = root / name / "config"
    (directory / "cameras").mkdir(parents=True)
    (directory / "wawai.yaml").write_text(textwrap.dedent(f"""\
        site: {{name: Cluster Test, timezone: {TIMEZONE}}}
        storage: {{path: {root / name / 'data'}}}
        database: {{url: "{url}"}}
        web: {{host: 127.0.0.1, port: {port}, live_max_sessions_per_user: {views_per_user}}}
        reload: {{watch: false}}
        cluster:
          node: {name}
          roles: [{roles}]
          advertise_url: http://127.0.0.1:{port}
          lease_seconds: {LEASE}
          secret: "${{{SECRET_ENV}}}"
        """))
    mode = "continuous" if record else "off"
    (directory / "cameras" / f"{CAMERA}.yaml").write_text(
        f'name: Gate\ngroup: north\nstreams: {{main: "{camera_url}", stall_seconds: 4}}\n'
        f"detect: {{enabled: false}}\nrecord: {{mode: {mode}, segment_seconds: {SEGMENT_SECONDS}}}\n")
    return directory


class NodeProcess:
    """One node: its process, its URL and storage, and (for a record node) a coordinator for its name."""

    def __init__(self, root: Path, name: str, db_url: str, camera_url: str, roles: str = "record, web",
                 record: bool = True, views_per_user: int = 32) -> None:
        self.name = name
        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.storage = root / name / "data"
        self.config = node_config(root, name, db_url, self.port, camera_url, roles, record, views_per_user)
        self.log_path = root / f"{name}.log"
        self.coordinator: CoordinatorThread | None = None
        self._log = self.log_path.open("wb")
        env = {**os.environ, SECRET_ENV: SECRET}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wawai.node", "--config", str(self.config)],
            cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"node {self.name} exited {self.process.returncode}: "
                                 f"{self.log_path.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self) -> None:
        wait_for(self.healthy, START_SECONDS, f"node {self.name} serving")

    def own(self, camera_ids: list[str]) -> None:
        """Join the cluster as a record node under this node's name (a real coordinator, here)."""
        sessions = make_sessionmaker(self.db_url)
        info = NodeInfo(self.name, ("record", "web"), 10, advertise_url=self.url)
        coordinator = Coordinator(sessions, info, camera_ids, lease_seconds=LEASE,
                                  on_start=lambda fence: None, on_stop=lambda camera, reason: None)
        self.coordinator = CoordinatorThread(coordinator)
        self.coordinator.start()

    def stop_owning(self) -> None:
        """Stop renewing without leaving, as a dead node would: its lease runs out."""
        if self.coordinator is not None:
            self.coordinator.stop(leave=False)
            self.coordinator.coordinator.sessions.kw["bind"].dispose()
            self.coordinator = None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def end(self) -> None:
        self.stop_owning()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
