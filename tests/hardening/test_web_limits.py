"""Sign-in limits that hold, forwarded headers only from trusted proxies, bounded input, capped live views,
a private database file (issue 17). Real uvicorn (the node's own settings), real SQLite."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select, text

from tests.live.test_whep_api import bearer, make_offer, whep
from tests.support.app_fixtures import PASSWORD, free_port
from wawai import accounts
from wawai.db.base import create_db_engine
from wawai.db.users import LoginAttempt
from wawai.node import web_server_config
from webui.live.relay import LiveRelay


class NodeServer:
    """The app served with ``wawai.node.web_server_config`` (what `wawai run` uses), in a thread."""

    def __init__(self, app: Any, **web: Any) -> None:
        section = app.state.ctx.config.site.web.model_copy(update={"port": free_port(), **web})
        self.url = f"http://127.0.0.1:{section.port}"
        self.server = uvicorn.Server(web_server_config(app, section))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> NodeServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def login(url: str, name: str, password: str, forwarded: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return httpx.post(f"{url}/api/auth/login", json={"name": name, "password": password},
                      headers=headers, timeout=60)


def attempt_addresses(sessions) -> set[str]:
    with sessions() as db:
        return set(db.scalars(select(LoginAttempt.address)))


def test_forwarded_header_is_not_believed_by_default(app, users, sessions):
    limit = app.state.ctx.config.site.web.login_max_failures_per_address
    with NodeServer(app) as node:
        answers = [login(node.url, f"nobody{i}", "bad guess", forwarded=f"10.9.{i}.1") for i in range(limit)]
        assert {answer.status_code for answer in answers} == {401}
        # A fresh fake address changes nothing: the limit counts the real one.
        assert login(node.url, "nobody-else", "bad guess", forwarded="10.9.200.1").status_code == 429
    assert attempt_addresses(sessions) == {"127.0.0.1"}  # what the audit of sign-ins saw


def test_forwarded_header_is_believed_from_a_trusted_proxy(app, users, sessions):
    with NodeServer(app, trusted_proxies=["127.0.0.1"]) as node:
        assert login(node.url, users["admin"].name, PASSWORD, forwarded="198.51.100.4").status_code == 200
    assert attempt_addresses(sessions) == {"198.51.100.4"}


def test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(app, users, sessions, monkeypatch):
    limit = app.state.ctx.config.site.web.login_max_failures_per_user
    checks: list[str] = []
    real_verify = accounts.verify_password

    def counted(password_hash: str, password: str) -> bool:  # the real argon2 check, counted
        checks.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counted)
    name = users["admin"].name
    with NodeServer(app) as node, ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda i: login(node.url, name, f"guess {i}"), range(40)))
    codes = [answer.status_code for answer in answers]
    assert codes.count(401) == limit and codes.count(429) == 40 - limit, codes
    assert len(checks) == limit  # before: 16 argon2 checks against a limit of 5
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status_code == 429)


def test_a_stranger_cannot_lock_an_operator_out(app, users):
    limit = app.state.ctx.config.site.web.login_max_failures_per_user
    operator = users["operator"].name
    with NodeServer(app, trusted_proxies=["127.0.0.1"]) as node:
        for _ in range(limit):
            assert login(node.url, operator, "bad guess", forwarded="203.0.113.7").status_code == 401
        assert login(node.url, operator, PASSWORD, forwarded="203.0.113.7").status_code == 429  # slowed
        # ...while the operator at the wall still signs in.
        assert login(node.url, operator, PASSWORD, forwarded="10.1.1.1").status_code == 200


# --- bounded input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "path", "params", "status"), [
    ("admin", "/api/incidents/99999999999999999999999", {}, 404),
    ("admin", "/api/incidents/99999999999999999999999/snapshot.jpg", {}, 404),
    ("admin", "/api/incidents", {"page": "9223372036854775807"}, 400),
    ("admin", "/api/incidents", {"since": "9999-12-31T23:59:59-23:59"}, 400),
    ("admin", "/api/incidents", {"until": "0001-01-01T00:00:00+23:59"}, 400),
    ("supervisor", "/api/recordings/north-gate/clip.mp4", {"start": "nan", "end": "nan"}, 400),
    ("supervisor", "/api/recordings/north-gate", {"start": "nan", "end": "inf"}, 400),
    ("supervisor", "/api/recordings/north-gate", {"start": "0", "end": "1e300"}, 400),
    ("admin", "/api/audit", {"page": "9223372036854775807"}, 400),
    ("admin", "/api/audit", {"since": "9999-12-31T23:59:59-23:59"}, 400),
    ("admin", "/api/integrations/deliveries", {"offset": "9223372036854775808"}, 400),
    ("admin", "/api/integrations/deliveries", {"since": "0001-01-01T00:00:00+23:59"}, 400),
    ("admin", "/api/recordings/north-gate/segments/9223372036854775808.jpg", {}, 404),
])
def test_overflowing_numbers_answer_400_or_404_with_one_line(client, users, who, path, params, status):
    answer = client.get(path, params=params, headers=bearer(users[who]))
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("DELETE", "/api/tokens/9223372036854775808", None, 404),
    ("POST", "/api/integrations/deliveries/9223372036854775808/replay", None, 404),
    ("POST", "/api/integrations/replay", {"since": "0001-01-01T00:00:00+23:59"}, 400),
])
def test_overflowing_ids_and_times_in_changes_answer_one_line(client, users, method, path, body, status):
    answer = client.request(method, path, json=body, headers=bearer(users["admin"]))
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail


def test_incident_outside_the_users_groups_answers_like_a_missing_one(client, users, sessions):
    from wawai.db.incidents import Incident

    with sessions() as db:
        incident = Incident(camera_id="south-gate", rule="r", type="intrusion", severity="high",
                            started_at=accounts.utcnow(), clip_start=0.0)
        db.add(incident)
        db.commit()
        known = incident.id
    operator = bearer(users["operator"])  # north only
    outside = client.get(f"/api/incidents/{known}", headers=operator)
    missing = client.get(f"/api/incidents/{known + 1000}", headers=operator)
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["detail"].replace(str(known), "N") == missing.json()["detail"].replace(
        str(known + 1000), "N")


# --- live views ----------------------------------------------------------------------------------


def patient_relay(app: Any, stage_context: Any, **web: Any) -> LiveRelay:
    """The app's relay, with the hub started (stream facts at once, so each offer is answered without
    waiting) and a connect timeout far past the test: the views here never connect, and on a loaded
    machine the default 15 s reclaim would free slots in the middle of counting them."""
    stage_context.hub.start()
    section = stage_context.config.site.web.model_copy(update=web)
    relay = LiveRelay(stage_context.hub, section, connect_timeout=600)
    app.state.live_relay = relay
    return relay


@pytest.mark.timeout(240)
def test_200_offers_from_one_user_are_capped_with_retry_after(app, client, users, stage_context):
    patient_relay(app, stage_context)
    cap = stage_context.config.site.web.live_max_sessions_per_user
    offer = make_offer()
    started = time.monotonic()
    answers = [whep(client, "north-gate", users["operator"], offer) for _ in range(200)]
    print(f"200 offers answered in {time.monotonic() - started:.1f} s")
    codes = [answer.status_code for answer in answers]
    assert codes[:cap] == [201] * cap and codes[cap:] == [503] * (200 - cap)
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers[cap:])
    assert client.get("/api/live/stats", headers=bearer(users["admin"])).json()["sessions"] == cap
    for answer in answers[:cap]:
        assert client.delete(answer.headers["location"], headers=bearer(users["operator"])).status_code == 204
    assert whep(client, "north-gate", users["operator"], offer).status_code == 201  # room again


@pytest.mark.timeout(240)
def test_offers_from_several_users_past_the_total_cap_get_503_until_sessions_close(
        app, client, users, sessions, stage_context):
    # A total cap below what the users may open each: only the total check can refuse here.
    patient_relay(app, stage_context, live_max_sessions=6, live_max_sessions_per_user=8)
    with sessions() as db:
        extra = accounts.create_user(db, "supervisor2", PASSWORD, "supervisor", [])
        token = accounts.create_token(db, extra, "tests")
        db.commit()
    viewers = [users["operator"], users["supervisor"], users["admin"],
               dataclasses.replace(users["supervisor"], name=extra.name, token=token)]
    offer = make_offer()
    def offer_as(viewer: Any) -> tuple[Any, httpx.Response]:
        return viewer, whep(client, "north-gate", viewer, offer)

    with ThreadPoolExecutor(16) as pool:  # 4 users x 4 offers at once: 16 asked, 6 served
        answers = list(pool.map(offer_as, viewers * 4))
    codes = [answer.status_code for _, answer in answers]
    assert sorted(codes) == [201] * 6 + [503] * 10, codes
    refused = [answer for _, answer in answers if answer.status_code == 503]
    assert all(int(answer.headers["Retry-After"]) > 0 for answer in refused)
    assert all(answer.json()["detail"] == "the server has as many live views open as it serves; try again "
               "shortly" for answer in refused)
    admin = bearer(users["admin"])
    assert client.get("/api/live/stats", headers=admin).json()["sessions"] == 6
    # Each user once more, whatever they hold: all refused while the node is full.
    assert [whep(client, "north-gate", viewer, offer).status_code for viewer in viewers] == [503] * 4
    # Two sessions close: exactly two slots come back, for any user.
    opened = [(viewer, answer.headers["location"]) for viewer, answer in answers if answer.status_code == 201]
    for viewer, location in opened[:2]:
        assert client.delete(location, headers=bearer(viewer)).status_code == 204
    again = [whep(client, "north-gate", viewer, offer) for viewer in viewers]
    assert [answer.status_code for answer in again] == [201, 201, 503, 503]
    assert client.get("/api/live/stats", headers=admin).json()["sessions"] == 6
    reopened = [(viewer, answer.headers["location"])
                for viewer, answer in zip(viewers[:2], again[:2], strict=True)]
    for viewer, location in [*opened[2:], *reopened]:
        assert client.delete(location, headers=bearer(viewer)).status_code == 204
    assert client.get("/api/live/stats", headers=admin).json()["sessions"] == 0


def test_live_stats_show_only_the_cameras_the_user_may_see(client, users, sessions, stage_context):
    stage_context.hub.start()
    with sessions() as db:
        limited = accounts.create_user(db, "north-super", PASSWORD, "supervisor", ["north"])
        token = accounts.create_token(db, limited, "tests")
        db.commit()
    assert whep(client, "south-gate", users["admin"], make_offer()).status_code == 201
    everything = client.get("/api/live/stats", headers=bearer(users["admin"])).json()
    north_only = client.get("/api/live/stats", headers={"Authorization": f"Bearer {token}"}).json()
    assert everything["sessions"] == 1 and north_only["sessions"] == 0


# --- the database file -----------------------------------------------------------------------------


def test_database_file_and_wal_are_private(tmp_path):
    path = tmp_path / "data" / "wawai.db"
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        wal = path.with_name("wawai.db-wal")
        assert wal.exists()
        for made in (path, wal):
            assert stat.S_IMODE(made.stat().st_mode) == 0o600, (made, oct(made.stat().st_mode))
    engine.dispose()


def test_an_old_world_readable_database_is_tightened(tmp_path):
    path = tmp_path / "wawai.db"
    path.touch()
    os.chmod(path, 0o644)
    create_db_engine(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
