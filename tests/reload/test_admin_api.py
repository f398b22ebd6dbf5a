"""Admin API for users, tokens and the effective config; `wawai config show`. Real app, real SQLite."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.app_fixtures import write_config
from wawai.cli import main
from wawai.db.audit import AuditEntry

CAMERA_PASSWORD = "cam-hunter22"
TURN_PASSWORD = "turn-hunter22"


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch) -> Path:
    """Overrides the foundation's: one camera whose URL holds a password, a TURN password."""
    monkeypatch.setenv("YARD_PASSWORD", CAMERA_PASSWORD)
    site = textwrap.dedent(f"""\
        storage: {{path: {tmp_path / 'data'}}}
        web: {{turn_password: {TURN_PASSWORD}}}
        defaults: {{detect: {{fps: 3}}}}
        """)
    return write_config(tmp_path, site=site, cameras={
        "yard.yaml": "group: north\nstreams: {main: 'rtsp://admin:${YARD_PASSWORD}@10.0.0.9/ch1'}\n",
    })


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {user.token}"}


def test_only_admins_reach_the_admin_api(client, users):
    for role in ("operator", "supervisor"):
        for method, path in (("GET", "/api/users"), ("GET", "/api/tokens"), ("GET", "/api/config"),
                             ("POST", "/api/config/reload"), ("GET", "/api/config/status")):
            assert client.request(method, path, headers=bearer(users[role])).status_code == 403, (role, path)


def test_effective_config_is_merged_and_redacted(client, users, config_dir, capsys):
    answer = client.get("/api/config", headers=bearer(users["admin"]))
    assert answer.status_code == 200
    data = answer.json()
    yard = data["cameras"]["yard"]
    assert yard["detect"]["fps"] == 3 and yard["record"]["retain_days"] == 14  # site defaults applied
    assert yard["streams"]["main"] == "rtsp://***@10.0.0.9/ch1"
    assert data["site"]["web"]["turn_password"] == "***"
    assert CAMERA_PASSWORD not in answer.text and TURN_PASSWORD not in answer.text
    one = client.get("/api/config?camera=yard", headers=bearer(users["admin"]))
    assert one.json() == yard
    missing = client.get("/api/config?camera=nope", headers=bearer(users["admin"]))
    assert missing.status_code == 404 and missing.json()["detail"] == "no camera 'nope'"

    assert main(["config", "show", "--config", str(config_dir)]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["cameras"]["yard"] == yard
    assert CAMERA_PASSWORD not in out and TURN_PASSWORD not in out
    assert main(["config", "show", "--camera", "yard", "--config", str(config_dir)]) == 0
    assert json.loads(capsys.readouterr().out) == yard
    assert main(["config", "show", "--camera", "nope", "--config", str(config_dir)]) == 1


def test_users_are_managed_with_the_cli_rules_and_audited(client, users, sessions):
    admin = bearer(users["admin"])
    new = {"name": "op2", "password": "long enough pw", "role": "operator", "groups": ["north"]}
    made = client.post("/api/users", json=new, headers=admin)
    assert made.status_code == 201 and made.json()["groups"] == ["north"]
    assert client.post("/api/users", json=new, headers=admin).status_code == 409
    short = client.post("/api/users", json={**new, "name": "op3", "password": "short"}, headers=admin)
    assert short.status_code == 422 and "at least 8" in short.json()["detail"]
    bad_role = client.post("/api/users", json={**new, "name": "op3", "role": "root"}, headers=admin)
    assert bad_role.status_code == 422 and "use one of" in bad_role.json()["detail"]

    changed = client.patch("/api/users/op2", json={"role": "supervisor", "groups": []}, headers=admin)
    assert changed.json()["role"] == "supervisor" and changed.json()["groups"] == []
    login = {"name": "op2", "password": "long enough pw"}
    assert client.post("/api/auth/login", json=login).status_code == 200
    assert client.patch("/api/users/op2", json={"disabled": True}, headers=admin).json()["disabled"]
    assert client.post("/api/auth/login", json=login).status_code == 401
    client.patch("/api/users/op2", json={"disabled": False}, headers=admin)
    reset = client.put("/api/users/op2/password", json={"password": "a new long pw"}, headers=admin)
    assert reset.status_code == 204
    assert client.post("/api/auth/login", json={**login, "password": "a new long pw"}).status_code == 200
    assert client.patch("/api/users/nobody", json={"disabled": True}, headers=admin).status_code == 404

    itself = client.patch(f"/api/users/{users['admin'].name}", json={"disabled": True}, headers=admin)
    assert itself.status_code == 409 and "yourself" in itself.json()["detail"]
    with sessions() as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.user_name == "admin1"))
        actions = [row.action for row in rows]
    for action in ("user.added", "user.role_set", "user.groups_set", "user.disabled", "user.enabled",
                   "user.password_set"):
        assert action in actions
    listed = client.get("/api/users", headers=admin).json()
    assert "password_hash" not in json.dumps(listed) and {u["name"] for u in listed} >= {"op2", "admin1"}


def test_tokens_are_shown_once_listed_without_secret_and_revoked(client, users):
    admin = bearer(users["admin"])
    made = client.post("/api/tokens", json={"user": "operator1", "label": "wall pc"}, headers=admin)
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["id"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["name"] == "operator1"
    listing = client.get("/api/tokens", headers=admin)
    assert token not in listing.text and "hash" not in listing.text
    assert any(t["id"] == token_id and t["label"] == "wall pc" for t in listing.json())
    assert client.delete(f"/api/tokens/{token_id}", headers=admin).status_code == 204
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.delete(f"/api/tokens/{token_id}", headers=admin).status_code == 404
    assert client.post("/api/tokens", json={"user": "ghost"}, headers=admin).status_code == 404
