"""A playing tile resumes by itself after its camera (the RTSP server) dies and comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live.browser_helpers import TILE_PLAYBACK, camera_yaml, wait_playing
from tests.support.app_fixtures import write_config
from tests.support.browser_fixtures import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.rtsp]


@pytest.fixture
def config_dir(tmp_path: Path, rtsp_server_private) -> Path:
    return write_config(tmp_path, {"gate.yaml": camera_yaml("Gate", rtsp_server_private.url("vtest"))})


@pytest.fixture
def wall_server(stage_context, live_server):
    stage_context.hub.start()
    yield live_server
    live_server.stop()
    stage_context.hub.stop()


def frames(page) -> int:
    return page.evaluate(TILE_PLAYBACK)[0]["frames"]


def test_tile_resumes_after_the_camera_restarts(browser_page, wall_server, users, rtsp_server_private):
    page = browser_page
    sign_in(page, wall_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{wall_server.url}/static/index.html?grid=1&cameras=gate")
    wait_playing(page, 1)
    rtsp_server_private.kill()
    page.wait_for_selector(".tile[data-state='offline'], .tile[data-state='connecting']", timeout=20_000)
    frozen = frames(page)
    page.wait_for_timeout(1000)
    assert frames(page) - frozen < 3  # no pictures while the camera is gone
    rtsp_server_private.restart()
    # Same page, same peer connection: pictures come again once ingest has reconnected.
    page.wait_for_function(
        "(n) => document.querySelector('.tile video').getVideoPlaybackQuality().totalVideoFrames > n",
        arg=frozen + 20,
        timeout=45_000,
    )
    page.wait_for_selector(".tile[data-state='online']", timeout=20_000)
    assert page.locator(".tile").get_attribute("data-live") == "yes"
