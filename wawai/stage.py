"""How the runtime wires stages together without them importing each other.

Each stage package exposes ``create_stage(ctx: StageContext) -> Stage``. The runtime (in ``wawai``)
builds the context, creates the hub from ``camera_ingest`` and the stages, and hands the same context to
the web app. Anything a stage offers to the web app (an exporter, a relay) goes in ``ctx.services`` under
a name, typed by a Protocol that lives in ``wawai``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from wawai.bus import EventBus
from wawai.config.model import WawaiConfig
from wawai.hub import StreamHub

# ctx.services[STAGES_SERVICE]: the running Stage objects, so the API can show each one's camera_status.
STAGES_SERVICE = "stages"


class Stage(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def camera_status(self, camera_id: str) -> dict[str, Any]:
        """This stage's facts for one camera; shown under CameraStatus.stages[name]."""
        ...


@dataclass
class StageContext:
    config: WawaiConfig
    hub: StreamHub
    bus: EventBus
    sessions: sessionmaker[Session]
    services: dict[str, Any] = field(default_factory=dict)

    @property
    def storage(self) -> Path:
        return self.config.storage_path
