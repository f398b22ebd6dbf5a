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
from wawai.config.schema import CameraConfig
from wawai.hub import StreamHub

# ctx.services[STAGES_SERVICE]: the running Stage objects, so the API can show each one's camera_status.
STAGES_SERVICE = "stages"
# ctx.services[CAMERA_LISTENERS_SERVICE]: a list of CameraListener that are not stages (the live relay);
# the runtime tells them, like the stages, when a camera starts, changes or stops.
CAMERA_LISTENERS_SERVICE = "camera_listeners"


class CameraListener(Protocol):
    """Told by ``Runtime.apply`` when cameras come and go at run time (hot reload, cluster moves).

    Calls come from a worker thread, one at a time, after ``ctx.config`` already holds the new config.
    Each call concerns one camera and must leave every other camera's work untouched.
    """

    def camera_added(self, camera: CameraConfig) -> None:
        """The hub has the camera's streams now: start this stage's work for it."""
        ...

    def camera_changed(self, old: CameraConfig, new: CameraConfig) -> None:
        """Only fields applied live changed (name, group, zones, rules, detect, record)."""
        ...

    def camera_removed(self, camera_id: str) -> None:
        """Stop this stage's work for the camera (called before the hub closes its streams)."""
        ...


class Stage(CameraListener, Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def camera_status(self, camera_id: str) -> dict[str, Any]:
        """This stage's facts for one camera; shown under CameraStatus.stages[name]."""
        ...

    def site_changed(self) -> None:
        """``ctx.config.site`` was replaced; only fields applied live differ (quotas, names)."""
        ...


@dataclass
class StageContext:
    config: WawaiConfig
    hub: StreamHub
    bus: EventBus
    sessions: sessionmaker[Session]
    services: dict[str, Any] = field(default_factory=dict)
    # False on a cluster node: it starts no camera at boot; its coordinator adds the cameras placed on it
    # one by one (Runtime.add_camera), while ctx.config still lists every camera for the UI and API.
    starts_cameras: bool = True

    @property
    def storage(self) -> Path:
        return self.config.storage_path

    def boot_cameras(self) -> dict[str, CameraConfig]:
        """The cameras the hub and the stages start with: all of them, or none on a cluster node."""
        return self.config.cameras if self.starts_cameras else {}
