"""The same rules over a real uvicorn socket: cookies, CSRF, Bearer, WebSocket refusal and push."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.app_fixtures import PASSWORD


def test_sign_in_and_csrf_over_http(live_server, users):
    with httpx.Client(base_url=live_server.url) as http:
        assert http.get("/api/health").status_code == 200
        assert http.get("/api/cameras").status_code == 401
        signed_in = http.post("/api/auth/login", json={"name": users["admin"].name, "password": PASSWORD})
        assert signed_in.status_code == 200
        assert [c["id"] for c in http.get("/api/cameras").json()] == ["north-gate", "south-gate"]
        assert http.post("/api/auth/logout").status_code == 403
        csrf = http.cookies["wawai_csrf"]
        assert http.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
        assert http.get("/api/cameras").status_code == 401


def test_websocket_refused_without_credentials(live_server):
    ws_url = live_server.url.replace("http://", "ws://") + "/api/events"
    with pytest.raises(InvalidStatus) as refused, connect(ws_url, open_timeout=10):
        pass
    assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus), connect(ws_url + "?token=wawai_forged", open_timeout=10):
        pass


def test_websocket_pushes_bus_messages(live_server, users, stage_context):
    ws_url = live_server.url.replace("http://", "ws://") + f"/api/events?token={users['operator'].token}"
    with connect(ws_url, open_timeout=10) as socket:
        def publish() -> None:
            time.sleep(0.5)
            for camera in ("south-gate", "north-gate"):  # the operator sees only "north"
                stage_context.bus.publish({"type": "camera.status", "camera_id": camera, "state": "online"})

        threading.Thread(target=publish, daemon=True).start()
        assert '"north-gate"' in str(socket.recv(timeout=10))
