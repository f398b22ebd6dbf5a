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
        "walkway.yaml": camera_yaml("Walkway", rtsp_server.url("vtest"), sub=rtsp_server.url("vtest30")),
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
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
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
    assert errors == []  # no script error, nothing refused by the Content-Security-Policy


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
    wait_playing(page, 2, only_first=True)
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


def test_whep_is_404_for_a_camera_outside_the_users_groups(browser_page, wall_server, users):
    page = browser_page
    operator = users["operator"]  # limited to group "north"
    sign_in(page, wall_server.url, operator.name, operator.password)
    page.goto(f"{wall_server.url}/static/index.html?grid=1&cameras=walkway")
    assert page.evaluate(WHEP_STATUS, "south") == 404
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


def test_double_click_goes_full_screen_on_main_and_back_to_sub(browser_page, wall_server, users):
    page = browser_page
    sign_in(page, wall_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{wall_server.url}/static/index.html?grid=2&cameras=walkway,cars")
    wait_playing(page, 2, only_first=True)
    tile = page.locator(".tile[data-index='0']")
    assert tile.get_attribute("data-stream") == "sub"  # tiles take the sub stream when there is one
    tile.dblclick()
    page.wait_for_selector(".tile.full[data-index='0'][data-stream='main']", timeout=15_000)
    assert page.locator(".tile[data-index='1']").is_hidden()
    page.keyboard.press("Escape")
    page.wait_for_selector(".tile[data-index='0']:not(.full)[data-stream='sub']", timeout=15_000)
    assert page.locator(".tile[data-index='1']").is_visible()


def test_layouts_are_saved_and_loaded_from_the_wall(browser_page, wall_server, users):
    page = browser_page
    sign_in(page, wall_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{wall_server.url}/static/index.html?grid=2&cameras=cars,walkway")
    page.wait_for_selector(".tile[data-index='0'][data-camera='cars']")
    page.keyboard.press("3")  # keyboard: 3x3
    assert page.locator(".tile").count() == 9
    page.select_option(".tile[data-index='8'] select.picker", "people")
    page.fill("#layout-name", "Night <i>shift</i>")
    page.click("#layout-save")
    page.wait_for_selector("#layout-select option[value='Night <i>shift</i>']", state="attached")
    page.keyboard.press("1")
    assert page.locator(".tile").count() == 1
    page.select_option("#layout-select", "Night <i>shift</i>")
    page.wait_for_function("() => document.querySelectorAll('.tile').length === 9")
    assert page.locator(".tile[data-index='8']").get_attribute("data-camera") == "people"
    assert page.locator(".tile[data-index='0']").get_attribute("data-camera") == "cars"
    assert page.locator("i").count() == 0


def test_alerts_panel_and_detection_boxes_from_the_bus(browser_page, wall_server, users, stage_context):
    page = browser_page
    sign_in(page, wall_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{wall_server.url}/static/index.html?grid=2&cameras=cars,walkway")
    wait_playing(page, 2, only_first=True)
    page.wait_for_timeout(500)  # the events socket is open
    for number, rule in ((1, "first <script>"), (2, "second")):
        stage_context.bus.publish({
            "type": "incident.created", "id": number, "camera": "walkway", "rule": rule, "severity": "high",
            "started_at": f"2026-11-29T22:00:0{number}Z", "snapshot_url": None, "incident": {},
        })
    page.wait_for_selector(".alert-list li.alert >> nth=1")
    rules = page.locator(".alert-list .alert-rule").all_text_contents()
    assert rules == ["second", "first <script>"]  # newest first, as text
    assert page.locator(".alert-list .alert-camera").first.text_content() == "Walkway"
    assert page.locator(".tile[data-camera='walkway']").get_attribute("class").count("alerted") == 1

    page.check("#overlay-toggle")
    box = {"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5, "label": "person", "score": 0.9, "track": 1}
    stage_context.bus.publish({"type": "detections", "camera": "cars", "ts": 0, "boxes": [box]})
    drawn = """() => {
      const canvas = document.querySelector('.tile[data-camera="cars"] canvas');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
      return false;
    }"""
    page.wait_for_function(drawn, timeout=5_000)
    page.uncheck("#overlay-toggle")
    assert page.evaluate(drawn) is False


def test_a_hidden_page_stops_its_streams_and_resumes(browser_page, wall_server, users):
    page = browser_page
    sign_in(page, wall_server.url, users["admin"].name, users["admin"].password)
    page.goto(f"{wall_server.url}/static/index.html?grid=2&cameras=cars,walkway")
    wait_playing(page, 2, only_first=True)
    stats = "async () => (await fetch('/api/live/stats')).json()"
    # The page shown after sign-in had its own tiles: their sessions end when that page is left.
    page.wait_for_function(f"async () => ((await ({stats})()).sessions === 2)", timeout=30_000)
    set_hidden = """(hidden) => {
      Object.defineProperty(document, 'hidden', { value: hidden, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }"""
    page.evaluate(set_hidden, True)
    page.wait_for_function(f"async () => ((await ({stats})()).sessions === 0)", timeout=15_000)
    assert page.locator(".tile[data-live='yes']").count() == 0
    page.evaluate(set_hidden, False)
    wait_playing(page, 2, only_first=True)
    # A viewer retried after a failed ICE attempt closes its old session with an asynchronous DELETE:
    # the count must settle at exactly one session per tile (a leak would leave it above 2).
    page.wait_for_function(f"async () => ((await ({stats})()).sessions === 2)", timeout=15_000)
    assert page.locator(".tile[data-live='yes']").count() == 2
