"""The WHEP endpoint and saved layouts through the real app (TestClient): access, errors, audit, cleanup."""

from __future__ import annotations

from aiortc import RTCConfiguration, RTCPeerConnection
from sqlalchemy import select

from tests.live.loop import run_fresh
from wawai.db.audit import AuditEntry


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {user.token}"}


def make_offer() -> str:
    async def offer() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return run_fresh(offer())


def whep(client, camera: str, user, body: str, content_type: str = "application/sdp"):
    headers = {**bearer(user), "Content-Type": content_type}
    return client.post(f"/api/live/{camera}/whep?stream=sub", content=body, headers=headers)


def test_whep_needs_a_user_allowed_to_see_the_camera(client, users):
    offer = make_offer()
    assert client.post("/api/live/north-gate/whep", content=offer,
                       headers={"Content-Type": "application/sdp"}).status_code == 401
    assert whep(client, "south-gate", users["operator"], offer).status_code == 404  # operator: north only
    assert whep(client, "nowhere", users["admin"], offer).status_code == 404


def test_whep_refuses_what_is_not_an_sdp_offer(client, users):
    assert whep(client, "north-gate", users["operator"], "{}", "application/json").status_code == 415
    answer = whep(client, "north-gate", users["operator"], "v=0 nonsense")
    assert answer.status_code == 400


def test_whep_answers_201_with_location_audits_and_delete_releases(client, users, sessions):
    operator = users["operator"]
    answer = whep(client, "north-gate", operator, make_offer())
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"].startswith("application/sdp")
    assert "a=rtpmap" in answer.text and "H264" in answer.text
    location = answer.headers["location"]
    assert location.startswith("/api/live/sessions/")
    assert answer.headers["x-wawai-live-mode"] == "passthrough"
    assert client.get("/api/live/stats", headers=bearer(users["supervisor"])).json()["sessions"] == 1

    with sessions() as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.action == "live.view")).all()
        assert [(row.user_name, row.camera_id) for row in rows] == [(operator.name, "north-gate")]

    # Only the viewer (or an admin) can end it; others see no such session.
    assert client.delete(location, headers=bearer(users["supervisor"])).status_code == 404
    assert client.delete(location, headers=bearer(operator)).status_code == 204
    assert client.delete(location, headers=bearer(operator)).status_code == 404
    assert client.get("/api/live/stats", headers=bearer(users["admin"])).json()["sessions"] == 0
    assert client.get("/api/live/stats", headers=bearer(operator)).status_code == 403


def test_layouts_are_saved_per_user(client, users):
    operator, admin = users["operator"], users["admin"]
    wall = {"grid": 2, "tiles": ["north-gate", None, None, None]}
    assert client.put("/api/layouts/Night shift", json=wall, headers=bearer(operator)).status_code == 200
    assert client.get("/api/layouts", headers=bearer(operator)).json()[0]["tiles"] == wall["tiles"]
    assert client.get("/api/layouts", headers=bearer(admin)).json() == []
    # Saving again under the same name replaces it.
    wall = {"grid": 1, "tiles": ["north-gate"]}
    client.put("/api/layouts/Night shift", json=wall, headers=bearer(operator))
    saved = client.get("/api/layouts", headers=bearer(operator)).json()
    assert [(s["name"], s["grid"], s["tiles"]) for s in saved] == [("Night shift", 1, ["north-gate"])]
    # A camera outside the user's groups, a grid that does not exist, too many tiles: refused.
    bad = [
        {"grid": 2, "tiles": ["south-gate"]},
        {"grid": 5, "tiles": []},
        {"grid": 1, "tiles": ["north-gate", "north-gate"]},
    ]
    for body in bad:
        assert client.put("/api/layouts/x", json=body, headers=bearer(operator)).status_code == 422
    assert client.delete("/api/layouts/Night shift", headers=bearer(admin)).status_code == 404
    assert client.delete("/api/layouts/Night shift", headers=bearer(operator)).status_code == 204
    assert client.get("/api/layouts", headers=bearer(operator)).json() == []


def test_open_views_are_closed_when_the_app_shuts_down(app, users):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert whep(client, "north-gate", users["operator"], make_offer()).status_code == 201
        relay = app.state.live_relay
        assert relay.stats()["sessions"] == 1
    assert relay.stats()["sessions"] == 0
