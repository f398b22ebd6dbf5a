"""Recorder test fixtures: a migrated database of the test's own (real migrations): a SQLite file, or an
empty PostgreSQL database for tests marked ``on_both_databases("recorder_db")``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

import recorder
from recorder.index import SegmentIndex
from recorder.segmenter import Segmenter
from tests.recorder.clips import RECORDED_START, clip, media_packets
from tests.support.postgres import backend_of, database_url
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.stage import StageContext


def migrated_sessions(path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{path}"
    upgrade(url)
    return make_sessionmaker(url)


@pytest.fixture
def recorder_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for url in database_url(request, backend_of(request), tmp_path / "db" / "wawai.db"):
        upgrade(url)
        maker = make_sessionmaker(url)
        yield maker
        maker.kw["bind"].dispose()


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    path = tmp_path / "storage"
    path.mkdir()
    return path


@pytest.fixture
def recorded(stage_context: StageContext) -> StageContext:
    """30 s of north-gate recorded from RECORDED_START, and the recorder's service registered (the
    stage itself is not started: no camera is read)."""
    recorder.create_stage(stage_context)
    index = SegmentIndex(stage_context.storage, stage_context.sessions)
    segmenter = Segmenter(stage_context.storage, "north-gate", 10,
                          lambda f: index.add_segment("north-gate", f))
    for packet in media_packets(clip(), RECORDED_START):
        segmenter.feed(packet)
    segmenter.finish()
    return stage_context


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs: a real filesystem that fills up (ENOSPC). Mounting needs root; skipped otherwise."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
