"""``wawai demo``: the config it writes, the demo user, missing footage, and a real run of the site."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import wawai.commands.demo as demo
from tests.support.rtsp_fixtures import free_port
from wawai.config.loader import load_config
from wawai.config.schema import CameraConfig


def test_prepare_writes_a_runnable_config_with_the_footage(tmp_path: Path):
    site = demo.prepare_demo(tmp_path / "demo", port=18123)
    config = load_config(site.config_dir)
    assert sorted(config.cameras) == ["car-park", "lobby", "plaza", "walkway"]
    camera: CameraConfig
    for camera in config.cameras.values():
        assert camera.streams.loop
        assert Path(camera.streams.main).is_file()
        assert camera.rules and camera.zones
    assert config.storage_path == (tmp_path / "demo").resolve()
    assert config.site.web.port == 18123
    assert site.url == "http://127.0.0.1:18123/"


def test_demo_user_made_once_with_a_random_password(tmp_path: Path):
    first = demo.prepare_demo(tmp_path / "a")
    again = demo.prepare_demo(tmp_path / "a")
    other = demo.prepare_demo(tmp_path / "b")
    assert first.new_password and len(first.new_password) >= 12
    assert again.new_password is None
    assert other.new_password and other.new_password != first.new_password


def test_missing_footage_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setattr(demo, "find_footage", lambda _relative: None)
    monkeypatch.setattr(demo, "asset_dirs", lambda: [tmp_path / "nowhere"])
    from wawai.cli import main

    assert main(["demo", "--storage", str(tmp_path / "d"), "--prepare-only"]) == 1
    err = capsys.readouterr().err
    assert "footage was not found" in err and str(tmp_path / "nowhere") in err and "WAWAI_ASSETS" in err
    assert "opencv-doc" in err


def test_demo_runs_the_site_with_four_cameras_online(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wawai.cli", "demo", "--storage", str(tmp_path / "demo"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        text = "".join(lines)
        found = re.search(r"sign in as 'demo' with the password (\S+)", text)
        assert found, text
        assert f"http://127.0.0.1:{port}/" in text
        base = f"http://127.0.0.1:{port}"
        # The demo says when its page answers, after the sign-in details and a "Starting" line.
        later = [proc.stdout.readline() for _ in range(2)]
        assert later[0].startswith("Starting:"), later
        assert later[1].strip() == f"Ready: {base}/", later
        with httpx.Client(base_url=base, timeout=5) as client:
            assert client.get("/api/health").status_code == 200
            login = client.post("/api/auth/login", json={"name": "demo", "password": found.group(1)})
            assert login.status_code == 200, login.text

            def states() -> dict[str, str]:
                return {c["id"]: c["status"]["state"] for c in client.get("/api/cameras").json()}

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and set(states().values()) != {"online"}:
                time.sleep(0.5)
            assert states() == {name: "online" for name in ("car-park", "lobby", "plaza", "walkway")}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
