"""Running the recorder the way the node does: config files, real ingest hub, migrated SQLite."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqlalchemy import select

import camera_ingest
import recorder
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.recordings import RecordingSegment
from wawai.stage import Stage, StageContext


def write_recorder_config(root: Path, cameras: dict[str, str], *, storage: Path, segment_seconds: float = 2,
                          site_extra: str = "") -> Path:
    directory = root / "config"
    (directory / "cameras").mkdir(parents=True, exist_ok=True)
    (directory / "wawai.yaml").write_text(textwrap.dedent(f"""\
        storage: {{path: {storage}, min_free_bytes: 0}}
        database: {{url: "sqlite:///{root / 'db' / 'wawai.db'}"}}
        defaults:
          record: {{mode: continuous, segment_seconds: {segment_seconds}}}
        """) + site_extra)
    for camera_id, url in cameras.items():
        (directory / "cameras" / f"{camera_id}.yaml").write_text(
            f"streams: {{main: \"{url}\"}}\ndetect: {{enabled: false}}\n")
    return directory


def build(config_dir: Path) -> tuple[StageContext, Stage]:
    config = load_config(config_dir)
    upgrade(config.database_url)
    bus = EventBus()
    hub = camera_ingest.create_hub(config, bus)
    ctx = StageContext(config=config, hub=hub, bus=bus, sessions=make_sessionmaker(config.database_url))
    return ctx, recorder.create_stage(ctx)


def start(ctx: StageContext, stage: Stage) -> None:
    ctx.hub.start()
    stage.start()


def stop(ctx: StageContext, stage: Stage) -> None:
    stage.stop()
    ctx.hub.stop()




def segment_rows(ctx: StageContext, camera_id: str | None = None) -> list[RecordingSegment]:
    with ctx.sessions() as session:
        query = select(RecordingSegment).order_by(RecordingSegment.camera_id, RecordingSegment.start)
        if camera_id is not None:
            query = query.where(RecordingSegment.camera_id == camera_id)
        return list(session.scalars(query))
