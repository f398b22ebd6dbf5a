"""The wall in Chromium against the real app, real ingest and the real RTSP server.

Run (as root, WebRTC kept on loopback):
  unshare -n -- bash -c 'ip link set lo up && .venv/bin/pytest tests/live -m browser'
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from pathlib import Path

import pytest

from tests.live.browser_helpers import FIRST_FRAME, TILE_PLAYBACK, WHEP_STATUS, camera_yaml, wait_playing
from tests.support.app_fixtures import write_config
from tests.support.browser_fixtures import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.rtsp]
log = logging.getLogger(__name__)

WALL = ["walkway", "people", "cars", "hd720"]


@pytest.fixture
def config_dir(tmp_path: Path, rtsp_server) -> Path:
    """Overrides the foundation's: cameras on the shared RTSP server (hd720 has a 4 s keyframe interval)."""
    cameras = {
        "walkway.yaml": camera_yaml("Walkway", rtsp_server.url("vtest")),
        "people.yaml": camera_yaml("Lobby <b>people</b>", rtsp_server.url("people")),
        "cars.yaml": camera_yaml("Car park", rtsp_server.url("cars")),
        "hd720.yaml": camera_yaml("HD 720p", rtsp_server.url("hd720")),
        "gop1.yaml": camera_yaml("One second GOP", rtsp_server.url("gop1")),
        "bframes.yaml": camera_yaml("B-frames", rtsp_server.url("bframes")),
        "h265.yaml": camera_yaml("H.265", rtsp_server.url("h265")),
        "south.yaml": camera_yaml("South", rtsp_server.url("vtest30"), group="south"),
    }
    return write_config(tmp_path, cameras)


@pytest.fixture
def wall_server(stage_context, live_server):
    stage_context.hub.start()
    yield live_server
    live_server.stop()  # before the hub, so no viewer reads a stopping hub
    stage_context.hub.stop()


def playback(page):
    return page.evaluate(TILE_PLAYBACK)


def test_a_2x2_wall_plays_four_real_streams(browser_page, wall_server, users):
    page = browser_page
    sign_in(page, wall_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{wall_server.url}/static/index.html?grid=2&cameras={','.join(WALL)}")
    wait_playing(page, 4)
    before = playback(page)
    page.wait_for_timeout(2000)
    after = playback(page)
    for camera, old, new in zip(WALL, before, after, strict=True):
        assert new["width"] > 0, camera
        assert new["time"] > old["time"], camera
        assert new["frames"] > old["frames"], camera
    tiles = page.locator(".tile")
    assert [tiles.nth(i).get_attribute("data-mode") for i in range(4)] == ["passthrough"] * 4
    # A camera name is text, never markup.
    assert page.locator(".tile .name", has_text="Lobby <b>people</b>").count() == 1
    assert page.locator(".tile b").count() == 0


def test_first_frame_comes_from_the_kept_gop(browser_page, wall_server, users, record_property):
    page = browser_page
    sign_in(page, wall_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{wall_server.url}/static/index.html?grid=1&cameras=walkway")
    wait_playing(page, 1)  # ingest is connected and warm
    times = {}
    for camera in ("hd720", "gop1"):
        page.evaluate(FIRST_FRAME, {"camera": camera, "stream": "main"})  # connects ingest's session
        times[camera] = [page.evaluate(FIRST_FRAME, {"camera": camera, "stream": "main"})["ms"]
                         for _ in range(5)]
    record_property("first_frame_ms", times)
    log.warning("time to first frame (ms): %s", times)
    # With a 4 s keyframe interval, waiting for the next keyframe would take 2 s on average.
    assert statistics.median(times["hd720"]) < 1500, times


def test_b_frames_and_h265_play_through_the_labelled_fallback(browser_page, wall_server, users):
    page = browser_page
    sign_in(page, wall_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{wall_server.url}/static/index.html?grid=2&cameras=bframes,h265")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.tile video')].slice(0, 2)
          .every((v) => v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5)""",
        timeout=45_000,
    )
    before = playback(page)
    page.wait_for_timeout(2000)
    after = playback(page)
    assert len(before) == len(after) == 4, (before, after)
    for old, new in zip(before[:2], after[:2], strict=True):
        assert new["frames"] > old["frames"] and new["time"] > old["time"]
    for index in (0, 1):
        tile = page.locator(f".tile[data-index='{index}']")
        assert tile.get_attribute("data-mode") == "transcoded"
        assert tile.locator(".badge.mode").is_visible()


def test_whep_is_403_for_a_camera_outside_the_users_groups(browser_page, wall_server, users):
    page = browser_page
    operator = users["operator"]  # limited to group "north"
    sign_in(page, wall_server.url, operator.name, operator.password)
    page.goto(f"{wall_server.url}/static/index.html?grid=1&cameras=walkway")
    assert page.evaluate(WHEP_STATUS, "south") == 403
    assert page.evaluate(WHEP_STATUS, "walkway") == 201


def test_viewers_leaving_release_their_resources(browser_page, wall_server, users, stage_context):
    page = browser_page
    admin = users["admin"]
    sign_in(page, wall_server.url, admin.name, admin.password)
    page.goto(f"{wall_server.url}/static/index.html?grid=1&cameras=")
    hub = stage_context.hub

    def live_subscribers() -> int:
        drops = hub.status("walkway").streams["main"].drops
        return sum(1 for name in drops if name.startswith("live-"))

    def settle() -> tuple[int, int, int]:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            stats = page.evaluate("async () => (await fetch('/api/live/stats')).json()")
            if stats["sessions"] == 0 and live_subscribers() == 0:
                break
            time.sleep(0.2)
        return stats["sessions"], live_subscribers(), threading.active_count()

    page.evaluate(FIRST_FRAME, {"camera": "walkway", "stream": "main"})  # warm-up: executor threads etc.
    _, _, threads_before = settle()
    for _ in range(20):
        assert page.evaluate(FIRST_FRAME, {"camera": "walkway", "stream": "main"})["ms"] > 0
    sessions, subscribers, threads_after = settle()
    assert sessions == 0
    assert subscribers == 0
    assert threads_after <= threads_before + 2, (threads_before, threads_after)
