"""The tamper-evident audit log: every writer chains its row; `wawai audit verify` names the row that was
edited or deleted with plain SQL; the admin API filters, pages and downloads CSV."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.app_fixtures import PASSWORD
from wawai import audit
from wawai.audit import AuditIsAppendOnly
from wawai.cli import main
from wawai.db.audit import AuditEntry


def db_file(wawai_config) -> Path:
    return Path(wawai_config.database_url.removeprefix("sqlite:///"))


def fill(client: TestClient, users, sessions) -> None:
    client.post("/api/auth/login", json={"name": users["admin"].name, "password": PASSWORD})
    client.post("/api/auth/login", json={"name": users["admin"].name, "password": "wrong"})
    with sessions() as db:
        for n in range(5):
            audit.record(db, "maria", "export.created", camera_id="north-gate", n=n, ratio=n / 3,
                         text="Jalan Sudirman, simpang \u00e9")
        db.commit()


def test_verify_passes_untouched_and_names_an_edited_row(client, users, sessions, config_dir, wawai_config,
                                                         capsys) -> None:
    fill(client, users, sessions)
    assert main(["--config", str(config_dir), "audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("audit log OK: 7 rows, head ")
    with sqlite3.connect(db_file(wawai_config)) as raw:
        raw.execute("UPDATE audit_log SET user_name = 'nobody' WHERE id = 4")
    assert main(["--config", str(config_dir), "audit", "verify"]) == 1
    assert "audit row 4 was changed after it was written" in capsys.readouterr().err


def test_verify_names_the_row_after_a_deleted_one(client, users, sessions, config_dir, wawai_config,
                                                  capsys) -> None:
    fill(client, users, sessions)
    main(["--config", str(config_dir), "audit", "verify"])
    head = capsys.readouterr().out.split("head ")[1].strip()
    with sqlite3.connect(db_file(wawai_config)) as raw:
        raw.execute("DELETE FROM audit_log WHERE id = 3")
    assert main(["--config", str(config_dir), "audit", "verify"]) == 1
    assert "audit row 4 does not follow the row before it" in capsys.readouterr().err
    # Removing the newest row leaves a valid but shorter chain: the noted head catches that.
    with sqlite3.connect(db_file(wawai_config)) as raw:
        raw.execute("DELETE FROM audit_log WHERE id >= 3")
    assert main(["--config", str(config_dir), "audit", "verify"]) == 0
    assert main(["--config", str(config_dir), "audit", "verify", "--head", head]) == 1
    assert "were removed" in capsys.readouterr().err


def test_the_app_cannot_change_or_delete_audit_rows(sessions) -> None:
    with sessions() as db:
        audit.record(db, "maria", "x.y")
        db.commit()
    with sessions() as db:
        row = db.scalars(select(AuditEntry)).one()
        row.action = "z"
        with pytest.raises(AuditIsAppendOnly):
            db.commit()
        db.rollback()
        db.delete(db.scalars(select(AuditEntry)).one())
        with pytest.raises(AuditIsAppendOnly):
            db.commit()


def test_audit_api_filters_pages_and_csv_for_admins_only(client, users, sessions) -> None:
    fill(client, users, sessions)
    admin = {"Authorization": f"Bearer {users['admin'].token}"}
    assert client.get("/api/audit", headers={"Authorization": f"Bearer {users['supervisor'].token}"}
                      ).status_code == 403
    page = client.get("/api/audit", params={"user": "maria", "per_page": 2, "page": 2}, headers=admin).json()
    assert page["total"] == 5 and [item["detail"]["n"] for item in page["items"]] == [2, 1]
    failed = client.get("/api/audit", params={"action": "auth.failed"}, headers=admin).json()["items"]
    assert [(r["user"], r["detail"]["address"]) for r in failed] == [(users["admin"].name, "testclient")]
    prefixed = client.get("/api/audit", params={"action": "auth."}, headers=admin).json()
    assert {r["action"] for r in prefixed["items"]} == {"auth.login", "auth.failed"}
    answer = client.get("/api/audit.csv", params={"camera": "north-gate"}, headers=admin)
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["id", "at", "user", "action", "camera", "detail", "hash"] and len(rows) == 6
    assert client.get("/api/audit/verify", headers=admin).json()["ok"] is True
    assert client.get("/api/audit", params={"since": "yesterday"}, headers=admin).status_code == 422
