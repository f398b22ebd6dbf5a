"""A small cluster of real node processes (``python -m wawai.node``) on one real PostgreSQL and one real
``nats-server -js``, for the web side: record nodes, each running its own coordinator, that own camera
"gate" from the real RTSP server when placement gives it to them, and a web-only node that runs no
camera, serves the browser and forwards to the camera's owner. Every node has ``cluster.secret`` from
the environment. (tests/cluster/node_site.py is the record side's harness; this one adds the secret and
per-node web settings.)
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

CAMERA = "gate"
SECRET = "cluster-secret-for-the-web-tests-0123456789"
SECRET_ENV = "WAWAI_TEST_CLUSTER_SECRET"
TIMEZONE = "Asia/Jakarta"
SEGMENT_SECONDS = 2
START_SECONDS = 90.0  # a node process under load: imports, migrations, the web server


def node_config(root: Path, name: str, url: str, nats_url: str, port: int, camera_url: str, roles: str,
                views_per_user: int) -> Path:
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
          nats_url: {nats_url}
          roles: [{roles}]
          advertise_url: http://127.0.0.1:{port}
          lease_seconds: {LEASE}
          secret: "${{{SECRET_ENV}}}"
        """))
    (directory / "cameras" / f"{CAMERA}.yaml").write_text(
        f'name: Gate\ngroup: north\nstreams: {{main: "{camera_url}", stall_seconds: 4}}\n'
        f"detect: {{enabled: false}}\nrecord: {{segment_seconds: {SEGMENT_SECONDS}}}\n")
    return directory


class NodeProcess:
    """One node: its process, its URL and its storage."""

    def __init__(self, root: Path, name: str, db_url: str, nats_url: str, camera_url: str,
                 roles: str = "record, web", views_per_user: int = 32) -> None:
        self.name = name
        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.storage = root / name / "data"
        self.config = node_config(root, name, db_url, nats_url, self.port, camera_url, roles, views_per_user)
        self.log_path = root / f"{name}.log"
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

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
