"""The node process reloads on SIGHUP; the watch works by polling too. Real processes, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import httpx
import pytest

from tests.support.app_fixtures import SAMPLE_VIDEO, free_port, write_config
from tests.support.waiting import wait_until
from wawai import accounts
from wawai.assets import find_asset
from wawai.config.loader import load_config
from wawai.config.watch import ConfigWatcher
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]


def file_camera(name: str) -> str:
    video = find_asset(SAMPLE_VIDEO)
    if video is None:
        pytest.skip(f"test footage {SAMPLE_VIDEO} missing")
    return f"name: {name}\nstreams: {{main: {video}, loop: true}}\nrecord: {{mode: 'off'}}\n"


@pytest.fixture
def node(tmp_path):
    port = free_port()
    site = textwrap.dedent(f"""\
        storage: {{path: {tmp_path / 'data'}}}
        web: {{host: 127.0.0.1, port: {port}}}
        defaults: {{detect: {{enabled: false}}}}
        reload: {{watch: false}}
        """)
    directory = write_config(tmp_path, cameras={"one.yaml": file_camera("One")}, site=site)
    config = load_config(directory)
    upgrade(config.database_url)
    sessions = make_sessionmaker(config.database_url)
    with sessions() as db:
        token = accounts.create_token(db, accounts.create_user(db, "admin1", "long enough pw", "admin"))
        db.commit()
    sessions.kw["bind"].dispose()
    process = subprocess.Popen([sys.executable, "-m", "wawai.node", "--config", str(directory)], cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def healthy() -> bool:
        try:
            return client.get("/api/health").status_code == 200
        except httpx.HTTPError:
            return False

    assert wait_until(healthy, 60), "the node did not start"
    yield process, client, directory
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)
    client.close()


def test_sighup_reloads_the_node(node):
    process, client, directory = node
    assert client.get("/api/config/status").json()["last_reload"] is None
    (directory / "cameras" / "two.yaml").write_text(file_camera("Two"))
    process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "two" in {c["id"] for c in client.get("/api/cameras").json()}, 10)
    last = client.get("/api/config/status").json()["last_reload"]
    assert last["trigger"] == "sighup" and last["plan"]["applied"] == [
        {"camera": "two", "change": "added", "fields": []}]
    assert process.poll() is None  # SIGHUP did not end it


def test_the_watch_polls_when_asked(tmp_path):
    seen = threading.Event()
    watcher = ConfigWatcher(tmp_path, seen.set, force_polling=True)
    watcher.start()
    try:
        assert wait_until(lambda: watcher._thread is not None and watcher._thread.is_alive(), 5)
        assert wait_until(lambda: ((tmp_path / "a.yaml").write_text("x: 1\n") and seen.is_set()), 10)
        assert watcher.polling
    finally:
        watcher.stop()
