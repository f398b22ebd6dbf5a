"""A node without detector weights (as on a fresh server that could not fetch them): it starts, ingest,
recording and live walls work, analytics runs motion-only, every camera's analytics state says
``degraded`` with the reason and the fetch command, and the wall says so once, in a banner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import analytics.manifest
from tests.live.browser_helpers import wait_playing
from tests.offline.conftest import YOLOX_MANIFEST
from tests.support.app_fixtures import LiveServer, TestUser, write_config
from tests.support.browser_fixtures import sign_in
from tests.support.waiting import wait_for
from wawai.demo_footage import find_footage
from wawai.runtime import Runtime, build_runtime
from webui.app import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIX = "wawai model fetch yolox-nano"


@pytest.fixture
def config_dir(tmp_path: Path, no_mirror: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two looping file cameras from the Debian-made footage; the yolox-nano manifest, no weights."""
    clip = find_footage("video/vtest_640x480_30s_h264.mp4")
    if clip is None:
        pytest.skip("no demo footage: apt-get install opencv-doc (./scripts/setup.sh does)")
    models = tmp_path / "site-models"
    models.mkdir()
    shutil.copy(YOLOX_MANIFEST, models)
    shutil.copy(YOLOX_MANIFEST.parent / "coco80_labels.txt", models)
    # The checkout's own models/ may hold fetched weights: the node must not find them here.
    monkeypatch.setattr(analytics.manifest, "REPO_ROOT", tmp_path / "fresh-clone")
    site = yaml.safe_dump({
        "site": {"name": "No model", "timezone": "Asia/Jakarta"},
        "storage": {"path": str(tmp_path / "data")},
        "detector": {"model": "yolox-nano", "model_dirs": [str(models)]},
    })
    camera = {"streams": {"main": str(clip), "loop": True}, "detect": {"fps": 5},
              "zones": [{"name": "all", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}],
              "rules": [{"name": "anyone", "type": "intrusion", "zone": "all", "objects": ["person"]}]}
    names = ("walkway", "plaza")
    cameras = {f"{name}.yaml": yaml.safe_dump({**camera, "name": name.title()}) for name in names}
    return write_config(tmp_path, cameras, site=site)


@pytest.fixture
def node(config_dir: Path, users: dict[str, TestUser]) -> Iterator[tuple[Runtime, LiveServer]]:
    runtime = build_runtime(config_dir)
    runtime.start()
    server = LiveServer(create_app(runtime.ctx))
    server.start()
    try:
        yield runtime, server
    finally:
        server.stop()
        runtime.stop()


def cameras(server: LiveServer, user: TestUser) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {user.token}"}
    answer = httpx.get(f"{server.url}/api/cameras", headers=headers, timeout=5)
    assert answer.status_code == 200, answer.text
    return {camera["id"]: camera["status"] for camera in answer.json()}


@pytest.mark.browser
def test_no_model_runs_motion_only_says_why_and_the_wall_shows_it_once(
    node: tuple[Runtime, LiveServer], users: dict[str, TestUser], browser_page: Any
):
    _runtime, server = node
    admin = users["admin"]

    def working() -> dict[str, Any] | None:
        status = cameras(server, admin)
        ready = all(
            s["state"] == "online" and s["stages"]["recording"]["state"] == "recording"
            and s["stages"]["analytics"]["frames"] >= 5
            for s in status.values()
        )
        return status if ready else None

    status = wait_for(working, 30, "cameras online, recording, analysed")
    for camera in status.values():
        shown = camera["stages"]["analytics"]
        assert shown["state"] == "degraded"
        assert shown["reason"].startswith("motion only: ")
        assert "yolox_nano_416x416.onnx" in shown["reason"] and "not found" in shown["reason"]
        assert "\n" not in shown["reason"]
        assert shown["fix"] == FIX
        assert shown["detect_runs"] == 0  # motion-only: the detector never ran

    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server.url, admin.name, admin.password)
    page.goto(f"{server.url}/static/index.html?grid=2&cameras=walkway,plaza")
    banner = page.locator("#analytics-banner")
    banner.wait_for(state="visible", timeout=15_000)
    assert page.locator(".banner").count() == 1  # once for the wall, not per camera
    text = banner.inner_text()
    assert "Object detection is off: analytics is running on motion only." in text
    assert "Cameras affected: 2." in text
    assert banner.locator("code").inner_text() == FIX
    for tile_text in page.locator(".tile").all_inner_texts():
        assert "motion only" not in tile_text and FIX not in tile_text
    wait_playing(page, 2, only_first=True)  # the live wall plays without a detector
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wall-analytics-degraded.png"))
    assert not errors, errors


@pytest.mark.browser
def test_with_the_model_the_wall_has_no_banner(browser_page: Any, live_server: LiveServer,
                                                users: dict[str, TestUser]):
    """The foundation's app (no analytics stage reporting degraded): the banner stays hidden."""
    page = browser_page
    sign_in(page, live_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{live_server.url}/static/index.html?grid=1&cameras=")
    page.wait_for_selector("#camera-list li", timeout=15_000)
    assert page.locator("#analytics-banner").is_hidden()
