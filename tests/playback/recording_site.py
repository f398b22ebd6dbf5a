"""A recording site for the playback tests: real RTSP cameras, the real hub and recorder, a real uvicorn.

``RecordingSite`` records three cameras and keeps recording while the tests run:
    gate   (group north)  from a private RTSP server that is killed for ``GAP_SECONDS`` after ~20 s
    yard   (group south)  from the shared RTSP server, continuously
    lane   (group south)  another mount of the shared server, continuously (synchronized playback)
    h265   (group north)  the shared server's H.265 mount, to show the browser's "cannot play" message
Segments are ``SEGMENT_SECONDS`` long (the mounts have a 2 s GOP). Site time zone: Asia/Jakarta. The
health sampler runs as in a node, every ``HEALTH_SAMPLE_SECONDS``.
Users: ``operator1`` limited to group north, ``supervisor1`` and ``admin1`` see everything.
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

import camera_ingest
import recorder
from tests.support.app_fixtures import PASSWORD, LiveServer, TestUser
from tests.support.rtsp_fixtures import RtspServer
from tests.support.waiting import wait_for
from wawai import accounts
from wawai.bus import EventBus
from wawai.camera_health import HealthSampler
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.recordings import RecordingSegment
from wawai.stage import STAGES_SERVICE, Stage, StageContext
from webui.app import create_app

SEGMENT_SECONDS = 4
GAP_SECONDS = 10.0
BEFORE_GAP_SECONDS = 20.0
AFTER_GAP_SECONDS = 16.0
TIMEZONE = "Asia/Jakarta"
HEALTH_SAMPLE_SECONDS = 5  # the minimum: a minute of recording leaves about a dozen samples to plot


def write_site(root: Path, urls: dict[str, tuple[str, str]]) -> Path:
    """Config dir under ``root``; ``urls`` maps camera id -> (group, RTSP URL)."""
    directory = root / "config"
    (directory / "cameras").mkdir(parents=True, exist_ok=True)
    (directory / "wawai.yaml").write_text(textwrap.dedent(f"""\
        site: {{name: Playback Test, timezone: {TIMEZONE}}}
        storage: {{path: {root / 'data'}, min_free_bytes: 0}}
        database: {{url: "sqlite:///{root / 'wawai.db'}"}}
        defaults:
          record: {{mode: continuous, segment_seconds: {SEGMENT_SECONDS}}}
        health: {{sample_seconds: {HEALTH_SAMPLE_SECONDS}}}
        """))
    for camera_id, (group, url) in urls.items():
        (directory / "cameras" / f"{camera_id}.yaml").write_text(
            f"group: {group}\nstreams: {{main: \"{url}\"}}\ndetect: {{enabled: false}}\n")
    return directory


@dataclass
class RecordingSite:
    root: Path
    private: RtspServer
    shared: RtspServer
    ctx: StageContext = field(init=False)
    stage: Stage = field(init=False)
    sampler: HealthSampler = field(init=False)
    server: LiveServer = field(init=False)
    users: dict[str, TestUser] = field(default_factory=dict)
    started_at: float = 0.0
    gap: tuple[float, float] = (0.0, 0.0)  # wall clock while the gate camera's server was down

    def start(self) -> None:
        config_dir = write_site(self.root, {
            "gate": ("north", self.private.url("vtest")),
            "yard": ("south", self.shared.url("vtest")),
            "lane": ("south", self.shared.url("vtest30")),
            "h265": ("north", self.shared.url("h265")),
        })
        config = load_config(config_dir)
        upgrade(config.database_url)
        bus = EventBus()
        self.ctx = StageContext(config=config, hub=camera_ingest.create_hub(config, bus), bus=bus,
                                sessions=make_sessionmaker(config.database_url))
        self.stage = recorder.create_stage(self.ctx)
        self.sampler = HealthSampler(self.ctx)
        self.ctx.services[STAGES_SERVICE] = [self.stage, self.sampler]
        with self.ctx.sessions() as db:
            for role, groups in (("operator", ["north"]), ("supervisor", []), ("admin", [])):
                user = accounts.create_user(db, f"{role}1", PASSWORD, role, groups)
                token = accounts.create_token(db, user, "tests")
                self.users[role] = TestUser(user.name, role, PASSWORD, token, tuple(groups))
            db.commit()
        self.started_at = time.time()
        self.ctx.hub.start()
        self.stage.start()
        self.sampler.start()
        self.server = LiveServer(create_app(self.ctx))
        self.server.start()

    def record_with_gap(self) -> None:
        """Record, take the gate camera's server down for GAP_SECONDS, record again."""
        wait_for(lambda: self.recorded_until("gate") >= self.started_at + BEFORE_GAP_SECONDS, 60,
                 "gate recording before the gap")
        down = time.time()
        self.private.kill()
        time.sleep(GAP_SECONDS)
        self.private.start()
        self.gap = (down, time.time())
        wait_for(lambda: self.recorded_until("gate") >= self.gap[1] + AFTER_GAP_SECONDS, 60,
                 "gate recording after the gap")

    def recorded_until(self, camera_id: str) -> float:
        rows = self.segments(camera_id)
        return rows[-1].end if rows else 0.0

    def segments(self, camera_id: str) -> list[RecordingSegment]:
        with self.ctx.sessions() as db:
            query = select(RecordingSegment).where(RecordingSegment.camera_id == camera_id)
            return list(db.scalars(query.order_by(RecordingSegment.start)))

    def stop(self) -> None:
        self.server.stop()
        self.sampler.stop()
        self.stage.stop()
        self.ctx.hub.stop()

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.users[role].token}"}
