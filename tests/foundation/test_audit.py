"""Audit rows: written by wawai.audit.record (masked), by sign-in and by the user/token commands."""

from __future__ import annotations

import io
import sys

from sqlalchemy import select

from tests.support.app_fixtures import PASSWORD
from tests.support.postgres import on_both_databases
from wawai.audit import record
from wawai.cli import main
from wawai.config.loader import load_config
from wawai.db.audit import AuditEntry
from wawai.db.base import make_sessionmaker


@on_both_databases()
def test_record_writes_one_masked_row(sessions):
    with sessions() as db:
        source = "rtsp://admin:pw@cam/1"
        record(db, "maria", "export.created", camera_id="north-gate", source=source, seconds=30)
        db.commit()
    with sessions() as db:
        rows = db.scalars(select(AuditEntry)).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.user_name, row.action, row.camera_id) == ("maria", "export.created", "north-gate")
    assert row.detail == {"source": "rtsp://***@cam/1", "seconds": 30}
    assert row.at.tzinfo is not None


def test_sign_in_and_cli_user_changes_are_audited(client, users, sessions, config_dir, monkeypatch):
    client.post("/api/auth/login", json={"name": users["admin"].name, "password": PASSWORD})
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert main(["--config", str(config_dir), "user", "add", "ops", "--role", "operator"]) == 0
    assert main(["--config", str(config_dir), "token", "create", "ops", "--label", "wall"]) == 0
    with make_sessionmaker(load_config(config_dir).database_url)() as db:
        rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(r.action, r.detail.get("user")) for r in rows] == [
        ("auth.login", None), ("user.added", "ops"), ("token.created", "ops"),
    ]
    assert rows[1].user_name.startswith("cli:")  # as `wawai export` writes it
    assert all("wawai_" not in str(r.detail) for r in rows)  # the token itself is never stored
