"""Quiet cameras: keyframe-only analysis while nothing moves, full rate again when someone walks in;
the mode and the detect-rate share in ``GET /api/cameras`` and on the health page.

The indoor clip ("people", keyframe every 2 s) is empty for 6.5 s at its start and for 6.5 s before
its last person walks in (44.5-51 s), so with ``quiet_after: 2`` the camera falls back to keyframes
in each empty stretch; the walkway clip ("vtest") has people moving in every frame and never does.
The hall is the indoor room empty and still, with sensor noise (a private RTSP server plays it): it
stays quiet, so the health page can be checked without racing a 4 s window.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.analytics.helpers import asset
from tests.analytics.test_stage_rtsp import Node, site_yaml
from tests.playback.browser_support import screenshot
from tests.support.app_fixtures import LiveServer
from tests.support.browser_fixtures import sign_in
from tests.support.rtsp_fixtures import RtspServer, running_server
from tests.support.waiting import wait_until
from wawai import accounts
from wawai.camera_health import analysis_of
from wawai.stage import STAGES_SERVICE
from webui.app import create_app

pytestmark = pytest.mark.rtsp

PEOPLE = "video/intel_one-by-one-person_768x432_60s_h264.mp4"
MIDDLE = [(0.40, 0.0), (0.75, 0.0), (0.75, 1.0), (0.40, 1.0)]  # where each person stops, in "people"
ADMIN = ("adm", "correct horse battery")


def quiet_camera_yaml(url: str, name: str = "Lobby") -> str:
    return yaml.safe_dump({
        "name": name, "group": "south",
        "streams": {"main": url},
        "detect": {"fps": 5, "quiet_after": 2},
        "zones": [{"name": "middle", "polygon": MIDDLE}],
        "rules": [{"name": "lobby-entry", "type": "intrusion", "zone": "middle", "objects": ["person"],
                   "cooldown": 0}],
    })


def busy_camera_yaml(url: str) -> str:
    return yaml.safe_dump({"name": "Walkway", "group": "south", "streams": {"main": url},
                           "detect": {"fps": 5, "quiet_after": 2}})


def still_room(target: Path) -> Path:
    """The indoor room at 3 s (empty) held for 3 minutes, sensor noise on every frame, GOP 2 s."""
    still = target.with_suffix(".png")
    run = ["ffmpeg", "-v", "error", "-y"]
    subprocess.run([*run, "-ss", "3", "-i", str(asset(PEOPLE)), "-frames:v", "1", str(still)], check=True)
    subprocess.run([*run, "-loop", "1", "-framerate", "10", "-t", "180", "-i", str(still),
                    "-vf", "format=yuv420p,noise=alls=6:allf=t", "-c:v", "libx264", "-preset", "veryfast",
                    "-profile:v", "baseline", "-g", "20", "-keyint_min", "20", "-sc_threshold", "0",
                    "-threads", "1", str(target)], check=True, timeout=600)
    return target


@dataclass
class QuietSite:
    node: Node
    server: LiveServer
    token: str

    def camera(self, camera_id: str) -> dict[str, Any]:
        answer = httpx.get(f"{self.server.url}/api/cameras/{camera_id}",
                           headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture(scope="module")
def site(rtsp_server: RtspServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QuietSite]:
    root = tmp_path_factory.mktemp("quiet")
    with running_server({"still": still_room(root / "still.mp4")}, root) as hall_server:
        cameras = {"lobby.yaml": quiet_camera_yaml(rtsp_server.url("people")),
                   "walk.yaml": busy_camera_yaml(rtsp_server.url("vtest")),
                   "hall.yaml": quiet_camera_yaml(hall_server.url("still"), "Hall")}
        node = Node(root, cameras, site_yaml(root))
        with node.sessions() as db:
            admin = accounts.create_user(db, *ADMIN, "admin")
            token = accounts.create_token(db, admin)
            db.commit()
        node.ctx.services[STAGES_SERVICE] = [node.stage]
        server = LiveServer(create_app(node.ctx))
        node.start()
        server.start()
        try:
            yield QuietSite(node, server, token)
        finally:
            server.stop()
            node.stop()


def test_quiet_camera_falls_back_to_keyframes_and_still_raises_the_intrusion(site: QuietSite):
    node = site.node
    lobby, walk = node.stage.pipelines["lobby"], node.stage.pipelines["walk"]
    busy_modes: list[str] = []
    quiet_since: list[float] = []

    def mode(camera_id: str) -> str:
        analysis = site.camera(camera_id)["analysis"]
        assert analysis is not None and analysis["detect_fps_wanted"] == 5
        return str(analysis["mode"])

    def lobby_went_quiet() -> bool:
        busy_modes.append(mode("walk"))
        if mode("lobby") == "keyframes":
            quiet_since.append(time.time())
        return bool(quiet_since)

    assert wait_until(lobby_went_quiet, timeout=90, interval=0.2), lobby.status()
    decoder = node.hub._session("lobby", "main").frames  # what reached the decoder, not only the frames
    at_quiet = (decoder.decoded, lobby.stats.frames, walk.stats.frames)
    last_quiet = (quiet_since[0], *at_quiet)

    def lobby_woke_up() -> bool:
        nonlocal last_quiet
        if mode("lobby") == "keyframes":
            last_quiet = (time.time(), decoder.decoded, lobby.stats.frames, walk.stats.frames)
            return False
        return True

    assert wait_until(lobby_woke_up, timeout=90, interval=0.1)
    quiet_seconds = last_quiet[0] - quiet_since[0]
    quiet_decoded, lobby_frames, walk_frames = (b - a for a, b in zip(at_quiet, last_quiet[1:], strict=True))
    # Keyframe mode: one picture per 2 s reached the decoder, instead of 10 per second.
    assert quiet_seconds >= 1.0 and quiet_decoded <= quiet_seconds / 2 + 2, (quiet_decoded, quiet_seconds)
    # Meanwhile the busy camera kept its full rate (5 fps wanted): many times the quiet one's frames.
    assert walk_frames >= 3 * max(1, lobby_frames), (walk_frames, lobby_frames, quiet_seconds)

    # The person who woke it up raises the intrusion, timed after the camera had gone quiet.
    def entry_after_quiet() -> list[Any]:
        busy_modes.append(mode("walk"))
        return [i for i in node.incidents()
                if i.camera_id == "lobby" and i.started_at.timestamp() >= quiet_since[0] - 0.5]

    assert wait_until(lambda: bool(entry_after_quiet()), timeout=30, interval=0.2), node.incidents()
    assert entry_after_quiet()[0].rule == "lobby-entry"

    # The busy camera never fell back, and reports what share of its detect rate it got.
    assert busy_modes and set(busy_modes) == {"full"}
    analysis = site.camera("walk")["analysis"]
    assert analysis["mode"] == "full" and analysis["detect_fps_got"] > 0
    assert 0 < analysis["detect_rate_fraction"] <= 1
    assert analysis["mode_since"] <= time.time()
    # The documented field and the stage's own status say the same.
    assert site.camera("walk")["status"]["stages"]["analytics"]["mode"] == "full"


def test_the_analysis_field_is_null_for_cameras_not_analysed():
    assert analysis_of({"state": "off"}) is None
    assert analysis_of({"state": "offline-rules-only", "mode": "full", "detect_rate": {}}) is None
    degraded = analysis_of({"state": "degraded", "mode": "keyframes", "mode_since": 5.0,
                            "detect_rate": {"wanted": 5, "got": None, "fraction": None}})
    assert degraded == {"mode": "keyframes", "mode_since": 5.0, "detect_fps_wanted": 5,
                        "detect_fps_got": None, "detect_rate_fraction": None}


@pytest.mark.browser
def test_health_page_shows_each_cameras_mode_in_both_languages(site: QuietSite, browser_page: Any):
    page = browser_page
    assert wait_until(lambda: site.camera("hall")["analysis"]["mode"] == "keyframes", timeout=60)
    sign_in(page, site.server.url, *ADMIN)
    expected = {
        "en": ("Quiet: keyframes only", re.compile(r"Full rate: \d+\.\d of 5 fps \(\d+ %\)")),
        "id": ("Sepi: hanya keyframe", re.compile(r"Penuh: \d+\.\d dari 5 fps \(\d+ %\)")),
    }
    for language, (quiet_text, full_text) in expected.items():
        page.goto(f"{site.server.url}/static/health.html")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        if page.eval_on_selector("#language-select", "s => s.value") != language:
            with page.expect_navigation():  # the switch reloads the page in the new language
                page.select_option("#language-select", language)
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        hall = page.locator('#health-rows tr[data-camera="hall"] td[data-mode]')
        walk = page.locator('#health-rows tr[data-camera="walk"] td[data-mode]')
        # The page refreshes its rows every 10 s; the walkway's share shows once 2 frames are in.
        page.wait_for_function(
            "() => /\\d %\\)$/.test(document.querySelector("
            "'#health-rows tr[data-camera=\"walk\"] td[data-mode]')?.textContent || '')",
            timeout=30_000)
        assert hall.get_attribute("data-mode") == "keyframes" and hall.text_content() == quiet_text
        assert walk.get_attribute("data-mode") == "full"
        assert full_text.fullmatch(walk.text_content() or ""), walk.text_content()
        heading = page.locator("thead th").last.text_content()
        assert heading == ("Analysis" if language == "en" else "Analisis")
        screenshot(page, f"health-modes-{language}")
