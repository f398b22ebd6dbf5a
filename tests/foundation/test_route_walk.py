"""Every route the app registers answers 401 without credentials, except the short public list.

The walk reads ``app.routes``, so a route added by any stage is covered without editing this test.
"""

from __future__ import annotations

import re

import pytest
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from webui.app import registered_routes
from webui.security import PUBLIC_PREFIXES, PUBLIC_ROUTES

# What may answer without credentials. Changing this is a security decision: update both lists.
EXPECTED_PUBLIC = {("GET", "/api/health"), ("POST", "/api/auth/login"), ("GET", "/")}
EXPECTED_PUBLIC_PREFIXES = ("/static/", "/open311/v2/")
# Open311 routes skip the session sign-in but check the calling app's api_key themselves; only the
# discovery document answers without one.
OPEN311 = "/open311/v2/"
OPEN311_KEYLESS = {"/open311/v2/discovery", "/open311/v2/discovery.{fmt}"}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_public_list_is_the_agreed_short_list():
    assert set(PUBLIC_ROUTES) == EXPECTED_PUBLIC
    assert PUBLIC_PREFIXES == EXPECTED_PUBLIC_PREFIXES


def test_every_http_route_needs_credentials(app, client):
    checked = 0
    for route in registered_routes(app):
        if route.kind != "http":
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            if (method, route.path) in PUBLIC_ROUTES or route.path.startswith(OPEN311):
                continue
            answer = client.request(method, concrete(route.path))
            assert answer.status_code == 401, f"{method} {route.path} answered {answer.status_code}"
            assert "www-authenticate" in answer.headers
            assert "content-security-policy" in answer.headers
            checked += 1
    # the foundation's own protected routes at least: me, logout, cameras, camera
    assert checked >= 4
    paths = {route.path for route in registered_routes(app)}
    assert {"/api/auth/me", "/api/auth/logout", "/api/cameras", "/api/events", "/api/health"} <= paths


def test_every_websocket_route_needs_credentials(app, client):
    routes = [r for r in registered_routes(app) if r.kind == "websocket"]
    assert any(r.path == "/api/events" for r in routes)
    for route in routes:
        with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect(concrete(route.path)):
            pass
        assert denied.value.status_code == 401, route.path


def test_every_open311_route_needs_an_api_key(app, client, users):
    routes = [r for r in registered_routes(app) if r.kind == "http" and r.path.startswith(OPEN311)]
    expected = {OPEN311 + "services.{fmt}", OPEN311 + "requests.{fmt}", OPEN311 + "requests/{request_id}"}
    assert expected <= {r.path for r in routes}
    signed_in = {"Authorization": f"Bearer {users['admin'].token}"}  # a user's token is no api_key
    for route in routes:
        path = concrete(route.path).replace("x1", "json") if "{fmt}" in route.path else concrete(route.path)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, signed_in):
                answer = client.request(method, path, headers=headers, data={"service_code": "x"})
                status = 200 if route.path in OPEN311_KEYLESS else 403
                assert answer.status_code == status, f"{method} {route.path} answered {answer.status_code}"
                assert "content-security-policy" in answer.headers


def test_bad_credentials_are_refused_everywhere(app, client):
    headers = {"Authorization": "Bearer wawai_forged"}
    for route in registered_routes(app):
        if route.path.startswith(OPEN311):
            continue  # api_key, not credentials: test_every_open311_route_needs_an_api_key
        if route.kind == "http" and "GET" in route.methods and ("GET", route.path) not in PUBLIC_ROUTES:
            assert client.get(concrete(route.path), headers=headers).status_code == 401, route.path
    client.cookies.set("wawai_session", "forged")
    assert client.get("/api/auth/me").status_code == 401


def test_a_route_added_later_without_any_dependency_is_still_protected(app, client):
    @app.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {"secret": "yes"}

    assert client.get("/api/forgotten").status_code == 401


def test_unknown_paths_do_not_reveal_themselves(client):
    assert client.get("/api/no-such-thing").status_code == 401


def test_static_and_start_page_are_public(client):
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["location"].startswith("/static/")


def test_websocket_accepts_token_query_and_bearer(client, users):
    token = users["admin"].token
    with client.websocket_connect(f"/api/events?token={token}"):
        pass
    with client.websocket_connect("/api/events", headers={"Authorization": f"Bearer {token}"}):
        pass
    refused = (WebSocketDenialResponse, WebSocketDisconnect)
    with pytest.raises(refused), client.websocket_connect("/api/events?token=wawai_forged"):
        pass
