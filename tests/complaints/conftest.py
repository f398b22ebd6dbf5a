"""One running system per test module (see system.py); tests count rows to prove nothing was stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tests.complaints.system import System, build_system, metro_cameras
from wawai.assets import find_asset
from wawai.db.complaints import Complaint, ComplaintReporter
from wawai.db.incidents import Incident

SAMPLE = "video/vtest_640x480_30s_h264.mp4"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    video = find_asset(SAMPLE) or "/nonexistent/vtest.mp4"
    running = build_system(tmp_path_factory.mktemp("complaints"), metro_cameras(str(video)))
    yield running
    running.stop()


def stored(system: System) -> tuple[int, int, int]:
    """(incidents, complaints, reporters) in the database now."""
    with system.sessions() as db:
        return tuple(  # type: ignore[return-value]
            db.scalar(select(func.count()).select_from(model)) or 0
            for model in (Incident, Complaint, ComplaintReporter)
        )
