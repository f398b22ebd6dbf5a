"""`wawai run`: the supervisor restarts a killed node, stops everything within 5 s, leaks no URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.app_fixtures import free_port, write_config
from tests.support.waiting import wait_for

SECRET = "Sup3r-s3cret"


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found




def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def supervised(tmp_path):
    port = free_port()
    closed_port = free_port()  # nothing listens there: the camera stays offline, its errors get logged
    site = f"storage: {{path: {tmp_path / 'data'}}}\nweb: {{host: 127.0.0.1, port: {port}}}\n"
    camera = f"name: Gate\nstreams: {{main: 'rtsp://admin:${{GATE_PW}}@127.0.0.1:{closed_port}/ch1'}}\n"
    directory = write_config(tmp_path, cameras={"gate.yaml": camera}, site=site)
    log_path = tmp_path / "run.log"
    env = {**os.environ, "GATE_PW": SECRET}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "wawai.cli", "--config", str(directory), "run"],
            stdout=log_file, stderr=subprocess.STDOUT, env=env,
        )
    try:
        yield process, f"http://127.0.0.1:{port}", log_path
    finally:
        if process.poll() is None:
            for pid in children(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait(timeout=10)


def test_restart_after_kill_then_clean_stop_within_5_s(supervised):
    process, url, log_path = supervised
    wait_for(lambda: healthy(url), 90, "the node to serve /api/health")
    first = wait_for(lambda: children(process.pid), 10, "the node process")[0]
    cmdline = Path(f"/proc/{first}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert "wawai.node" in cmdline and "rtsp" not in cmdline and SECRET not in cmdline
    for task in Path(f"/proc/{first}/task").iterdir():  # thread names are visible to `ps` too
        name = (task / "comm").read_text()
        assert "rtsp" not in name and SECRET not in name

    os.kill(first, signal.SIGKILL)
    second = wait_for(lambda: [p for p in children(process.pid) if p != first], 30, "a new node")[0]
    wait_for(lambda: healthy(url), 90, "the restarted node to serve")

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=5)  # the bound: everything stops within 5 s
    assert process.returncode == 0
    assert not Path(f"/proc/{second}").exists() or "zombie" in Path(f"/proc/{second}/status").read_text()

    log = log_path.read_text()
    assert "no users yet: create one with `wawai user add" in log
    assert "restart 1 in 1 s" in log
    assert SECRET not in log


def test_sigint_stops_too(supervised):
    process, url, _ = supervised
    wait_for(lambda: healthy(url), 90, "the node to serve /api/health")
    node = children(process.pid)[0]
    process.send_signal(signal.SIGINT)
    process.wait(timeout=5)
    assert not Path(f"/proc/{node}").exists()
