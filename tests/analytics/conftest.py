"""Analytics fixtures: a migrated SQLite database of our own, a detector worker that is always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from analytics.detector import Detector
from analytics.manifest import load_manifest
from analytics.worker import DetectorWorker
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade


@pytest.fixture
def incident_db(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'wawai.db'}"
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
