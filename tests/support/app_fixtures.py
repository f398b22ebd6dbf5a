"""Fixtures for the web app and the database, all real parts (foundation).

- ``config_dir``: a temp ``config/`` (wawai.yaml with storage in tmp, two cameras in two groups that play
  the shared footage as files).
- ``wawai_config``, ``db_url`` (migrated SQLite in tmp; PostgreSQL too with ``on_both_databases()``),
  ``sessions``.
- ``users``: one user per role (``users["operator"].password`` / ``.token``), the operator limited to
  group "north".
- ``stage_context``: a StageContext with the real ingest hub (not started) and an EventBus.
- ``app`` / ``client`` (TestClient), ``live_server`` (a real uvicorn on a free loopback port).
"""

from __future__ import annotations

import asyncio
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

import camera_ingest
from wawai import accounts
from wawai.assets import find_asset
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.config.model import WawaiConfig
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.stage import StageContext
from webui.app import create_app

PASSWORD = "correct horse battery"
SAMPLE_VIDEO = "video/vtest_640x480_30s_h264.mp4"


@dataclass(frozen=True)
class TestUser:
    name: str
    role: str
    password: str
    token: str
    groups: tuple[str, ...] = ()


def write_config(root: Path, cameras: dict[str, str] | None = None, site: str | None = None) -> Path:
    """A config dir under ``root`` (storage in ``root/data``); ``cameras`` maps file name -> YAML text."""
    directory = root / "config"
    (directory / "cameras").mkdir(parents=True, exist_ok=True)
    (directory / "wawai.yaml").write_text(site if site is not None else textwrap.dedent(f"""\
        site: {{name: Test Site, timezone: UTC}}
        storage: {{path: {root / 'data'}}}
        web: {{host: 127.0.0.1, port: 8080}}
        """))
    video = find_asset(SAMPLE_VIDEO) or Path("/nonexistent/vtest.mp4")
    if cameras is None:
        cameras = {
            "north-gate.yaml": f"name: North Gate\ngroup: north\nstreams: {{main: {video}, loop: true}}\n",
            "south-gate.yaml": f"name: South Gate\ngroup: south\nstreams: {{main: {video}, loop: true}}\n",
        }
    for name, text in cameras.items():
        (directory / "cameras" / name).write_text(text)
    return directory


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def wawai_config(config_dir: Path) -> WawaiConfig:
    return load_config(config_dir)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, wawai_config: WawaiConfig) -> Iterator[str]:
    """The migrated database: SQLite under the config's storage, or, for a test marked
    ``on_both_databases()`` (tests/support/postgres.py), also an empty PostgreSQL database."""
    from tests.support.postgres import backend_of, database_url  # postgres.py imports this module

    sqlite_path = Path(wawai_config.database_url.removeprefix("sqlite:///"))
    for url in database_url(request, backend_of(request), sqlite_path):
        upgrade(url)
        yield url


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    maker = make_sessionmaker(db_url)
    yield maker
    bind = maker.kw["bind"]
    bind.dispose()


@pytest.fixture
def users(sessions: sessionmaker[Session]) -> dict[str, TestUser]:
    made: dict[str, TestUser] = {}
    with sessions() as db:
        for role, groups in (("operator", ("north",)), ("supervisor", ()), ("admin", ())):
            user = accounts.create_user(db, f"{role}1", PASSWORD, role, list(groups))
            token = accounts.create_token(db, user, "tests")
            made[role] = TestUser(user.name, role, PASSWORD, token, groups)
        db.commit()
    return made


@pytest.fixture
def stage_context(wawai_config: WawaiConfig, sessions: sessionmaker[Session]) -> StageContext:
    bus = EventBus()
    hub = camera_ingest.create_hub(wawai_config, bus)
    return StageContext(config=wawai_config, hub=hub, bus=bus, sessions=sessions)


@pytest.fixture
def app(stage_context: StageContext) -> FastAPI:
    return create_app(stage_context)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """uvicorn serving ``app`` from its own thread and event loop on 127.0.0.1."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="test-uvicorn", daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
