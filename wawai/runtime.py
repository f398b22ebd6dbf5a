"""Building the node's StageContext: config, database, event bus, the ingest hub and the stages.

Order matters: the hub first (stages subscribe to it), then recorder and analytics. Each stage package
exposes ``create_stage(ctx)``; ingest exposes ``create_hub(config, bus)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import analytics
import camera_ingest
import recorder
from wawai.bus import EventBus
from wawai.camera_health import HealthSampler
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.stage import STAGES_SERVICE, Stage, StageContext

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    ctx: StageContext
    stages: list[Stage] = field(default_factory=list)

    def start(self) -> None:
        self.ctx.hub.start()
        for stage in self.stages:
            log.info("starting stage %s", stage.name)
            stage.start()

    def stop(self) -> None:
        for stage in reversed(self.stages):
            try:
                stage.stop()
            except Exception:
                log.exception("stage %s failed to stop cleanly", stage.name)
        try:
            self.ctx.hub.stop()
        except Exception:
            log.exception("ingest hub failed to stop cleanly")


def build_runtime(config_dir: Path) -> Runtime:
    config = load_config(config_dir)  # raises ConfigInvalid when wawai.yaml is unusable
    upgrade(config.database_url)
    bus = EventBus()
    hub = camera_ingest.create_hub(config, bus)
    ctx = StageContext(config=config, hub=hub, bus=bus, sessions=make_sessionmaker(config.database_url))
    stages: list[Stage] = [recorder.create_stage(ctx), analytics.create_stage(ctx), HealthSampler(ctx)]
    ctx.services[STAGES_SERVICE] = stages
    log.info("config %s: %d cameras, stages: %s", config_dir, len(config.cameras),
             ", ".join(stage.name for stage in stages) or "none")
    return Runtime(ctx=ctx, stages=stages)
