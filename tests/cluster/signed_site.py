"""A web app of a cluster node ("node-b", with ``cluster.secret`` from the environment) on a real
PostgreSQL, in process (TestClient), for the API tests of node-to-node requests and forwarding."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

import camera_ingest
from tests.support.app_fixtures import PASSWORD, write_config
from wawai import accounts
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.stage import StageContext
from webui.app import create_app

SECRET = "s3cret-for-tests-only-0123456789abcdef"
SECRET_ENV = "WAWAI_TEST_CLUSTER_SECRET"


def cluster_site(url: str, storage: Path, secret: bool = True, extra: str = "") -> str:
    key = f'  secret: "${{{SECRET_ENV}}}"\n' if secret else ""
    return (f'site: {{name: Test, timezone: Asia/Jakarta}}\nstorage: {{path: {storage}}}\n'
            f'database: {{url: "{url}"}}\ncluster:\n  node: node-b\n{key}{extra}')


def build_client(tmp_path: Path, url: str, secret: bool = True, extra: str = "") -> TestClient:
    """The app of a node whose config is under ``tmp_path`` (storage in ``tmp_path/data``)."""
    directory = write_config(tmp_path, site=cluster_site(url, tmp_path / "data", secret, extra))
    config = load_config(directory)
    bus = EventBus()
    ctx = StageContext(config=config, hub=camera_ingest.create_hub(config, bus), bus=bus,
                       sessions=make_sessionmaker(url))
    return TestClient(create_app(ctx))


def make_users(url: str) -> str:
    """operator1 (group north) and admin1; returns an API token of admin1."""
    sessions = make_sessionmaker(url)
    with sessions() as db:
        accounts.create_user(db, "operator1", PASSWORD, "operator", ["north"])
        admin = accounts.create_user(db, "admin1", PASSWORD, "admin", [])
        token = accounts.create_token(db, admin, "tests")
        db.commit()
    sessions.kw["bind"].dispose()
    return token
