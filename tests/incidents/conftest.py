"""A site of two departments for the incident tests: real migrated SQLite, real app, users per role.

``site`` (module scope): config with cameras ``putr-cam`` (group "Dinas PUTR") and ``rsu-cam`` (group
"RSU A. Yani"), time zone Asia/Jakarta, acknowledge_within {critical: 1}; users operator1, supervisor1,
supervisor2, admin1 and ``rsu-sup`` (a supervisor limited to RSU A. Yani). ``add_incident`` stores one
incident row directly (the analytics path has its own tests; the browser test uses it for real).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

import camera_ingest
from tests.support.app_fixtures import PASSWORD, write_config
from wawai import accounts
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.incidents import Incident
from wawai.db.migrate import upgrade
from wawai.stage import StageContext
from webui.app import create_app

PUTR = "Dinas PUTR"
RSU = "RSU A. Yani"
ROLES = {"operator1": ("operator", []), "supervisor1": ("supervisor", []), "supervisor2": ("supervisor", []),
         "admin1": ("admin", []), "rsu-sup": ("supervisor", [RSU])}


def site_yaml(root: Path, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        site: {{name: Metro Command Center, timezone: Asia/Jakarta}}
        storage: {{path: {root / 'data'}, min_free_bytes: 0}}
        incidents: {{acknowledge_within: {{critical: 1}}}}
        """) + extra


def cameras_yaml(video: str = "/nonexistent.mp4") -> dict[str, str]:
    return {
        "putr-cam.yaml": f"name: Jalan Sudirman\ngroup: {PUTR}\nstreams: {{main: {video}}}\n",
        "rsu-cam.yaml": f"name: IGD RSU\ngroup: {RSU}\nstreams: {{main: {video}}}\n",
    }


@dataclass
class Site:
    root: Path
    config_dir: Path
    ctx: StageContext
    sessions: sessionmaker[Session]
    tokens: dict[str, str]

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def make_users(sessions: sessionmaker[Session]) -> dict[str, str]:
    tokens = {}
    with sessions() as db:
        for name, (role, groups) in ROLES.items():
            user = accounts.create_user(db, name, PASSWORD, role, groups)
            tokens[name] = accounts.create_token(db, user, "tests")
        db.commit()
    return tokens


def build_site(root: Path) -> Site:
    """The department cameras' config, a migrated database, a hub (not started) and one user per role."""
    config_dir = write_config(root, cameras=cameras_yaml(), site=site_yaml(root))
    config = load_config(config_dir)
    upgrade(config.database_url)
    sessions = make_sessionmaker(config.database_url)
    bus = EventBus()
    ctx = StageContext(config=config, hub=camera_ingest.create_hub(config, bus), bus=bus, sessions=sessions)
    return Site(root, config_dir, ctx, sessions, make_users(sessions))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(tmp_path_factory.mktemp("incident-site"))
    yield built
    built.sessions.kw["bind"].dispose()


@pytest.fixture(scope="module")
def api(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.ctx)) as client:
        yield client


def add_incident(sessions: sessionmaker[Session], camera: str = "putr-cam", severity: str = "high",
                 rule: str = "gate", at: float | None = None, **columns: Any) -> int:
    start = at if at is not None else datetime.now(UTC).timestamp()
    with sessions() as db:
        incident = Incident(camera_id=camera, rule=rule, type="intrusion", zone="z", severity=severity,
                            started_at=datetime.fromtimestamp(start, UTC),
                            ended_at=datetime.fromtimestamp(start + 2, UTC), status="new",
                            clip_start=start - 5, clip_end=start + 12, **columns)
        db.add(incident)
        db.commit()
        return int(incident.id)
