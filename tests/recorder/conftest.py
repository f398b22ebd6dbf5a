"""Recorder test fixtures: a migrated SQLite database of the test's own (real file, real migrations)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade


def migrated_sessions(path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{path}"
    upgrade(url)
    return make_sessionmaker(url)


@pytest.fixture
def recorder_db(tmp_path: Path) -> sessionmaker[Session]:
    return migrated_sessions(tmp_path / "db" / "wawai.db")


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    path = tmp_path / "storage"
    path.mkdir()
    return path
