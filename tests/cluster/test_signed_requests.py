"""Node-to-node trust on a real app on a real PostgreSQL: a request another node signed with
``cluster.secret`` is accepted as the acting user (and audited as via that node); a bad signature, an old
timestamp, a replay, a changed body, an unknown user and a node without the secret are refused in one
line. ``GET /api/cluster`` is for admins."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.cluster.helpers import make_node
from tests.cluster.signed_site import SECRET, SECRET_ENV, build_client, make_users
from tests.support.app_fixtures import PASSWORD
from wawai.cluster.signing import sign
from wawai.db.audit import AuditEntry
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade


@pytest.fixture
def site(tmp_path, postgres_url, monkeypatch) -> Iterator[tuple[TestClient, str]]:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    upgrade(postgres_url)
    make_users(postgres_url)
    with build_client(tmp_path, postgres_url) as client:
        yield client, postgres_url


def signed(target: str, user: str = "operator1", method: str = "GET", body: bytes = b"",
           secret: str = SECRET, now: float | None = None) -> dict[str, str]:
    return sign(secret, method, target, body, "node-a", user, now=now)


def test_a_signed_request_acts_as_the_user_and_is_audited_via_the_node(site):
    client, url = site
    answer = client.get("/api/auth/me", headers=signed("/api/auth/me"))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["name"], answer.json()["role"]) == ("operator1", "operator")
    # The user's own limits hold: an operator is no admin on the owner either.
    assert client.get("/api/cluster", headers=signed("/api/cluster")).status_code == 403
    sessions = make_sessionmaker(url)
    with sessions() as db:
        rows = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "cluster.forwarded")))
    sessions.kw["bind"].dispose()
    assert rows and rows[0].user_name == "operator1"
    assert rows[0].detail["via_node"] == "node-a" and rows[0].detail["path"] == "/api/auth/me"


def test_the_query_is_signed_too(site):
    client, _ = site
    path = "/api/recordings/north-gate/activity"
    headers = signed(f"{path}?start=2026-12-01T00:00:00Z&end=2026-12-01T01:00:00Z")
    answer = client.get(f"{path}?start=2026-11-01T00:00:00Z&end=2026-12-01T01:00:00Z", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "node-signed request refused: bad node signature"


@pytest.mark.parametrize(("headers", "reason"), [
    (lambda: signed("/api/auth/me", secret="another-secret-" + "x" * 32), "bad node signature"),
    (lambda: signed("/api/auth/me", now=time.time() - 120),
     "node signature timestamp is more than 30 s off this node's clock"),
    (lambda: signed("/api/auth/me", now=time.time() + 120),
     "node signature timestamp is more than 30 s off this node's clock"),
    (lambda: signed("/api/auth/me", user="nobody"), "the acting user does not exist here or is disabled"),
    (lambda: {k: v for k, v in signed("/api/auth/me").items() if k != "x-wawai-nonce"},
     "incomplete node signature headers"),
])
def test_bad_signatures_are_refused_in_one_line(site, headers, reason):
    client, _ = site
    answer = client.get("/api/auth/me", headers=headers())
    assert answer.status_code == 401
    assert answer.json() == {"detail": f"node-signed request refused: {reason}"}


def test_a_replayed_request_is_refused(site):
    client, _ = site
    headers = signed("/api/auth/me")
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    again = client.get("/api/auth/me", headers=headers)
    assert again.status_code == 401
    refused = "node-signed request refused: node signature already used (replay refused)"
    assert again.json()["detail"] == refused


def test_the_body_is_signed(site):
    client, _ = site
    body = json.dumps({"language": "id"}).encode()
    headers = {**signed("/api/me", method="PATCH", body=body), "content-type": "application/json"}
    changed = client.patch("/api/me", content=json.dumps({"language": "en"}).encode(), headers=headers)
    assert changed.status_code == 401
    # The same body passes, without a CSRF header (only a session cookie needs one).
    headers = {**signed("/api/me", method="PATCH", body=body), "content-type": "application/json"}
    assert client.patch("/api/me", content=body, headers=headers).status_code == 200


def test_a_node_without_the_secret_believes_no_signature(tmp_path, site):
    _, url = site
    with build_client(tmp_path / "other", url, secret=False) as client:
        answer = client.get("/api/auth/me", headers=signed("/api/auth/me"))
    assert answer.status_code == 401
    assert answer.json()["detail"] == "node-signed request refused: this node has no cluster.secret"


def test_the_secret_never_shows(site):
    client, _ = site
    login = client.post("/api/auth/login", json={"name": "admin1", "password": PASSWORD})
    assert login.status_code == 200
    config = client.get("/api/config")
    assert config.status_code == 200
    assert config.json()["site"]["cluster"]["secret"] == "***"
    assert SECRET not in config.text


def test_api_cluster_for_admins_only(site):
    client, url = site
    # A long lease: the node's one step must still be alive after two argon2 sign-ins on a busy machine.
    node = make_node(url, "node-b", ["north-gate", "south-gate"], lease=120)
    try:
        node.coordinator.step()
        assert client.get("/api/cluster").status_code == 401
        client.post("/api/auth/login", json={"name": "operator1", "password": PASSWORD})
        assert client.get("/api/cluster").status_code == 403
        client.post("/api/auth/login", json={"name": "admin1", "password": PASSWORD})
        answer = client.get("/api/cluster")
        assert answer.status_code == 200
        body = answer.json()
        assert body["enabled"] is True and body["node"] == "node-b"
        [info] = body["nodes"]
        assert (info["name"], info["alive"], info["cameras"], info["roles"]) == ("node-b", True, 2,
                                                                                 ["record", "web"])
        assert info["cpu_percent"] is not None and info["cpu_percent"] >= 0
        assert {c["camera"]: c["node"] for c in body["cameras"]} == {"north-gate": "node-b",
                                                                     "south-gate": "node-b"}
    finally:
        node.sessions.kw["bind"].dispose()


def test_api_cluster_on_a_single_node(client, users):
    headers = {"Authorization": f"Bearer {users['admin'].token}"}
    assert client.get("/api/cluster", headers=headers).json() == {"enabled": False, "node": None,
                                                                 "nodes": [], "cameras": []}
    operator = {"Authorization": f"Bearer {users['operator'].token}"}
    assert client.get("/api/cluster", headers=operator).status_code == 403
