"""Sign-in by cookie and token, CSRF, failed-login limiting, camera visibility, security headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.app_fixtures import PASSWORD
from webui.security import CSRF_COOKIE, SESSION_COOKIE


def login(client: TestClient, name: str, password: str = PASSWORD):
    return client.post("/api/auth/login", json={"name": name, "password": password})


def test_health_is_public(client):
    answer = client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


def test_cookie_login_sets_strict_httponly_session_and_readable_csrf(client, users):
    answer = login(client, users["admin"].name)
    assert answer.status_code == 200
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    csrf = next(c for c in cookies if c.startswith(CSRF_COOKIE + "="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
    assert client.get("/api/auth/me").json()["name"] == users["admin"].name


def test_wrong_password_is_401_and_sets_no_cookie(client, users):
    answer = login(client, users["admin"].name, "wrong password")
    assert answer.status_code == 401
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/api/auth/me").status_code == 401


def test_bearer_token_works_without_cookie_and_needs_no_csrf(client, users):
    headers = {"Authorization": f"Bearer {users['operator'].token}"}
    assert client.get("/api/auth/me", headers=headers).json()["role"] == "operator"
    assert client.post("/api/auth/logout", headers=headers).status_code == 200
    forged = {"Authorization": "Bearer wawai_not-a-token"}
    assert client.get("/api/auth/me", headers=forged).status_code == 401


def test_state_change_with_cookie_needs_csrf_header(client, users):
    csrf = login(client, users["supervisor"].name).json()["csrf"]
    assert client.post("/api/auth/logout").status_code == 403
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.get("/api/auth/me").status_code == 200  # still signed in
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/auth/me").status_code == 401


def test_logout_ends_the_session_on_the_server(client, users):
    csrf = login(client, users["admin"].name).json()["csrf"]
    stolen = client.cookies.get(SESSION_COOKIE)
    client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/api/auth/me").status_code == 401


def test_failed_logins_are_limited_per_user(client, users, stage_context):
    limit = stage_context.config.site.web.login_max_failures_per_user
    name = users["admin"].name
    for _ in range(limit):
        assert login(client, name, "bad guess").status_code == 401
    blocked = login(client, name)  # even the right password, while blocked
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # Another user from the same address is not blocked by this user's failures.
    assert login(client, users["operator"].name).status_code == 200


def test_failed_logins_are_limited_per_address(client, users, stage_context):
    limit = stage_context.config.site.web.login_max_failures_per_address
    for index in range(limit):
        assert login(client, f"nobody{index}", "bad guess").status_code == 401
    assert login(client, users["admin"].name).status_code == 429


def test_camera_list_is_filtered_by_group_and_has_no_urls(client, users):
    answer = client.get("/api/cameras", headers={"Authorization": f"Bearer {users['operator'].token}"})
    assert answer.status_code == 200
    cameras = answer.json()
    assert [c["id"] for c in cameras] == ["north-gate"]
    assert {"id", "name", "group", "status"} <= set(cameras[0])
    admin = client.get("/api/cameras", headers={"Authorization": f"Bearer {users['admin'].token}"}).json()
    assert sorted(c["id"] for c in admin) == ["north-gate", "south-gate"]
    assert ".mp4" not in str(admin) and "rtsp" not in str(admin)


def test_camera_outside_groups_answers_like_an_unknown_one(client, users):
    headers = {"Authorization": f"Bearer {users['operator'].token}"}
    outside = client.get("/api/cameras/south-gate", headers=headers)
    unknown = client.get("/api/cameras/nope", headers=headers)
    assert outside.status_code == unknown.status_code == 404
    same = outside.json()["detail"].replace("south-gate", "X")
    assert same == unknown.json()["detail"].replace("nope", "X")
    assert client.get("/api/cameras/north-gate", headers=headers).status_code == 200


def test_security_headers_and_csp_without_inline_scripts(client):
    answer = client.get("/api/health")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"


class LeakyStage:
    name = "probe"

    def camera_status(self, camera_id: str) -> dict[str, object]:
        return {"camera": camera_id, "last_error": "cannot open rtsp://admin:hunter22@10.0.0.5/ch1"}


def test_camera_status_carries_each_stage_and_never_a_password(client, users, stage_context):
    from wawai.stage import STAGES_SERVICE

    stage_context.services[STAGES_SERVICE] = [LeakyStage()]
    bearer = {"Authorization": f"Bearer {users['admin'].token}"}
    answer = client.get("/api/cameras/north-gate", headers=bearer)
    stages = answer.json()["status"]["stages"]
    assert stages["probe"]["camera"] == "north-gate"
    assert stages["probe"]["last_error"] == "cannot open rtsp://***@10.0.0.5/ch1"
    assert "hunter22" not in answer.text
