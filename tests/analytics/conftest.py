"""Analytics fixtures: a migrated database of our own (SQLite; PostgreSQL too for tests marked
``on_both_databases("incident_db")``), a detector worker that is always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from analytics.detector import Detector
from analytics.manifest import load_manifest
from analytics.worker import DetectorWorker
from tests.support.postgres import backend_of, database_url
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade


@pytest.fixture
def incident_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for url in database_url(request, backend_of(request), tmp_path / "wawai.db"):
        upgrade(url)
        maker = make_sessionmaker(url)
        yield maker
        maker.kw["bind"].dispose()


@pytest.fixture(scope="module")
def yolox_worker() -> Iterator[DetectorWorker]:
    worker = DetectorWorker(Detector(load_manifest("yolox-nano", ["models"], Path(".")), threads=2))
    worker.start()
    yield worker
    worker.stop()
