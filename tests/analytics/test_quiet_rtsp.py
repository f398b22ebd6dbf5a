"""Quiet cameras: keyframe-only analysis while nothing moves, full rate again when someone walks in.

The indoor clip ("people", keyframe every 2 s) is empty for 6.5 s at its start and for 6.5 s before
its last person walks in (44.5-51 s), so with ``quiet_after: 2`` the camera falls back to keyframes
in each empty stretch; the walkway clip ("vtest") has people moving in every frame and never does.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.analytics.test_stage_rtsp import Node, site_yaml
from tests.support.waiting import wait_until
from wawai import accounts
from wawai.stage import STAGES_SERVICE
from webui.app import create_app

pytestmark = pytest.mark.rtsp

MIDDLE = [(0.40, 0.0), (0.75, 0.0), (0.75, 1.0), (0.40, 1.0)]  # where each person stops, in "people"


def quiet_camera_yaml(url: str) -> str:
    return yaml.safe_dump({
        "name": "Lobby", "group": "south",
        "streams": {"main": url},
        "detect": {"fps": 5, "quiet_after": 2},
        "zones": [{"name": "middle", "polygon": MIDDLE}],
        "rules": [{"name": "lobby-entry", "type": "intrusion", "zone": "middle", "objects": ["person"],
                   "cooldown": 0}],
    })


def busy_camera_yaml(url: str) -> str:
    return yaml.safe_dump({"name": "Walkway", "group": "south", "streams": {"main": url},
                           "detect": {"fps": 5, "quiet_after": 2}})


@pytest.fixture
def node(rtsp_server, tmp_path: Path):
    cameras = {"lobby.yaml": quiet_camera_yaml(rtsp_server.url("people")),
               "walk.yaml": busy_camera_yaml(rtsp_server.url("vtest"))}
    node = Node(tmp_path, cameras, site_yaml(tmp_path))
    node.start()
    yield node
    node.stop()


def test_quiet_camera_falls_back_to_keyframes_and_still_raises_the_intrusion(node: Node):
    lobby, walk = node.stage.pipelines["lobby"], node.stage.pipelines["walk"]
    busy_modes: list[str] = []
    quiet_since: list[float] = []

    def lobby_went_quiet() -> bool:
        busy_modes.append(walk.status()["mode"])
        if lobby.status()["mode"] == "keyframes":
            quiet_since.append(time.time())
        return bool(quiet_since)

    assert wait_until(lobby_went_quiet, timeout=90, interval=0.2), lobby.status()
    decoder = node.hub._session("lobby", "main").frames  # what reached the decoder, not only the frames
    decoded_at_quiet = decoder.decoded
    last_quiet = (quiet_since[0], decoded_at_quiet)

    def lobby_woke_up() -> bool:
        nonlocal last_quiet
        if lobby.status()["mode"] == "keyframes":
            last_quiet = (time.time(), decoder.decoded)
            return False
        return True

    assert wait_until(lobby_woke_up, timeout=90, interval=0.1)
    quiet_seconds, quiet_decoded = last_quiet[0] - quiet_since[0], last_quiet[1] - decoded_at_quiet
    # Keyframe mode: one picture per 2 s reached the decoder, instead of 10 per second.
    assert quiet_seconds >= 1.0 and quiet_decoded <= quiet_seconds / 2 + 2, (quiet_decoded, quiet_seconds)

    # The person who woke it up raises the intrusion, timed after the camera had gone quiet.
    def entry_after_quiet() -> list[Any]:
        busy_modes.append(walk.status()["mode"])
        return [i for i in node.incidents()
                if i.camera_id == "lobby" and i.started_at.timestamp() >= quiet_since[0] - 0.5]

    assert wait_until(lambda: bool(entry_after_quiet()), timeout=30, interval=0.2), node.incidents()
    assert entry_after_quiet()[0].rule == "lobby-entry"

    # The busy camera never fell back, and reports what share of its detect rate it got.
    assert busy_modes and set(busy_modes) == {"full"}
    rate = walk.status()["detect_rate"]
    assert rate["wanted"] == 5 and rate["fraction"] is not None and rate["fraction"] > 0

    # The mode is in the camera's status in the API.
    with node.sessions() as db:
        admin = accounts.create_user(db, "adm", "correct horse battery", "admin")
        token = accounts.create_token(db, admin)
        db.commit()
    node.ctx.services[STAGES_SERVICE] = [node.stage]
    with TestClient(create_app(node.ctx)) as client:
        body = client.get("/api/cameras/walk", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["status"]["stages"]["analytics"]["mode"] == "full"
    assert body["status"]["stages"]["analytics"]["detect_rate"]["wanted"] == 5
