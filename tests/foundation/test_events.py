"""WebSocket /api/events forwards bus messages; camera messages only to users who may see the camera."""

from __future__ import annotations

import threading

from tests.support.app_fixtures import PASSWORD
from tests.support.waiting import wait_until
from webui.security import CSRF_COOKIE


def publish_soon(bus, messages):
    """Publish once the socket's handler has subscribed to the bus (before that, a message reaches no
    one); a fixed delay was a guess that a loaded machine can miss."""
    def run():
        wait_until(lambda: bus._subscribers, 30)
        for message in messages:
            bus.publish(message)

    threading.Thread(target=run, daemon=True).start()


def test_events_reach_a_token_user_filtered_by_group(client, users, stage_context):
    bus = stage_context.bus
    with client.websocket_connect(f"/api/events?token={users['operator'].token}") as socket:
        publish_soon(bus, [
            {"type": "incident.created", "incident": {"id": 1, "camera_id": "south-gate"}},
            {"type": "camera.status", "camera_id": "south-gate", "state": "online"},
            {"type": "incident.created", "incident": {"id": 2, "camera_id": "north-gate"}},
        ])
        first = socket.receive_json()
    assert first == {"type": "incident.created", "incident": {"id": 2, "camera_id": "north-gate"}}


def test_events_reach_a_cookie_user(client, users, stage_context):
    client.post("/api/auth/login", json={"name": users["admin"].name, "password": PASSWORD})
    assert client.cookies.get(CSRF_COOKIE)
    with client.websocket_connect("/api/events") as socket:
        update = {"type": "incident.updated", "incident": {"id": 5, "camera_id": "south-gate"}}
        publish_soon(stage_context.bus, [update])
        assert socket.receive_json()["incident"]["id"] == 5


def test_cookie_websocket_from_another_origin_is_refused(client, users):
    import pytest
    from starlette.testclient import WebSocketDenialResponse

    client.post("/api/auth/login", json={"name": users["admin"].name, "password": PASSWORD})
    evil = {"Origin": "http://evil.example"}
    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        client.websocket_connect("/api/events", headers=evil),
    ):
        pass
    assert denied.value.status_code == 403


def test_unsubscribes_when_the_browser_goes(client, users, stage_context):
    bus = stage_context.bus
    with client.websocket_connect(f"/api/events?token={users['admin'].token}"):
        wait_until(lambda: bus._subscribers, 30)
        assert len(bus._subscribers) == 1
    wait_until(lambda: not bus._subscribers, 30)
    assert bus._subscribers == []


def test_messages_with_non_json_values_still_arrive(client, users, stage_context):
    from datetime import UTC, datetime

    with client.websocket_connect(f"/api/events?token={users['admin'].token}") as socket:
        at = datetime(2026, 11, 29, tzinfo=UTC)
        publish_soon(stage_context.bus, [{"type": "incident.created", "at": at, "incident": {"id": 9}}])
        assert socket.receive_json() == {"type": "incident.created", "at": str(at), "incident": {"id": 9}}
