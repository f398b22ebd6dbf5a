"""Building the node's StageContext: config, database, event bus, the ingest hub and the stages.

Order matters: the hub first (stages subscribe to it), then recorder and analytics. Each stage package
exposes ``create_stage(ctx)``; ingest exposes ``create_hub(config, bus)``.

At run time ``Runtime.apply(config, plan)`` starts, restarts, changes and stops single cameras in the
hub, the stages and the other camera listeners (the live relay) without touching any other camera;
hot reload uses it, and so can anything else that moves cameras (a cluster taking one over).

With ``site.cluster`` set the bus is NATS (wawai.cluster.nats_bus) and the node boots with no camera:
its ``ClusterMember`` (wawai.cluster.member) starts and stops the cameras placed on it through
``add_camera`` / ``remove_camera``, and hot reload hands camera additions and removals to it instead of
starting them everywhere. Without it, nothing of the cluster is built.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import analytics
import camera_ingest
import recorder
from wawai.bus import EventBus
from wawai.camera_health import HealthSampler
from wawai.cluster.database import cluster_engine
from wawai.cluster.member import ClusterMember, node_name
from wawai.cluster.nats_bus import NatsBus
from wawai.config.diff import ReloadPlan
from wawai.config.loader import load_config
from wawai.config.model import WawaiConfig
from wawai.config.reload import CONFIG_SERVICE, ConfigReloader
from wawai.config.schema import CameraConfig
from wawai.config.watch import ConfigWatcher
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.integrations.event_data import register_cameras
from wawai.integrations.service import Integrations, create_integrations
from wawai.stage import CAMERA_LISTENERS_SERVICE, STAGES_SERVICE, CameraListener, Stage, StageContext

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    ctx: StageContext
    stages: list[Stage] = field(default_factory=list)
    integrations: Integrations | None = None  # the outbox relay (issue 13)
    reloader: ConfigReloader | None = None
    watcher: ConfigWatcher | None = None
    cluster: ClusterMember | None = None

    def start(self) -> None:
        self.ctx.hub.start()
        for stage in self.stages:
            log.info("starting stage %s", stage.name)
            stage.start()
        if self.integrations is not None:
            self.integrations.start()
        if self.reloader is not None:
            self.reloader.start()
        if self.watcher is not None:
            self.watcher.start()
        if self.cluster is not None:
            self.cluster.start()  # last: the cameras placed here start on the stages now running

    def stop(self) -> None:
        if self.cluster is not None:
            try:
                self.cluster.stop()  # first: its cameras stop and are released while the stages run
            except Exception:
                log.exception("cluster membership failed to stop cleanly")
        for part in (self.watcher, self.reloader):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    log.exception("config reloading failed to stop cleanly")
        if self.integrations is not None:
            try:
                self.integrations.stop()
            except Exception:
                log.exception("integrations failed to stop cleanly")
        for stage in reversed(self.stages):
            try:
                stage.stop()
            except Exception:
                log.exception("stage %s failed to stop cleanly", stage.name)
        try:
            self.ctx.hub.stop()
        except Exception:
            log.exception("ingest hub failed to stop cleanly")
        if isinstance(self.ctx.bus, NatsBus):
            try:
                self.ctx.bus.stop()
            except Exception:
                log.exception("NATS bus failed to stop cleanly")

    # --- cameras at run time --------------------------------------------------------------------

    def listeners(self) -> list[CameraListener]:
        return [*self.stages, *self.ctx.services.get(CAMERA_LISTENERS_SERVICE, [])]

    def apply(self, config: WawaiConfig, plan: ReloadPlan) -> list[str]:
        """Make ``config`` the running config, doing only what ``plan`` lists; returns one line per
        step that failed (the rest is still applied). Blocking: call it from a worker thread."""
        old, self.ctx.config = self.ctx.config, config
        register_cameras(config.cameras)  # outbox events of added or renamed cameras carry their facts
        failures: list[str] = []
        by_kind = {kind: [c.camera for c in plan.applied if c.change == kind and c.camera]
                   for kind in ("removed", "added", "changed")}
        runs_here: Callable[[str], bool] = lambda _camera_id: True  # noqa: E731
        if self.cluster is not None:
            # Cameras start and stop where the cluster places them: the coordinator takes the new list
            # (releasing removed cameras, claiming added ones placed here); restarts and changes
            # concern only the cameras running on this node.
            runs_here = self.cluster.runs_here
            self._step(failures, "cluster: camera list", self.cluster.cameras_changed, list(config.cameras))
            by_kind["removed"] = by_kind["added"] = []
        for camera_id in by_kind["removed"]:
            self._step(failures, f"camera {camera_id}: stop", self.remove_camera, camera_id)
        for change in plan.restarted:
            if change.camera and runs_here(change.camera):
                camera = config.cameras[change.camera]
                self._step(failures, f"camera {camera.id}: restart", self.restart_camera, camera)
        for camera_id in by_kind["added"]:
            camera = config.cameras[camera_id]
            self._step(failures, f"camera {camera_id}: start", self.add_camera, camera)
        for camera_id in [camera_id for camera_id in by_kind["changed"] if runs_here(camera_id)]:
            before, after = old.cameras[camera_id], config.cameras[camera_id]
            for listener in self.listeners():
                self._step(failures, f"camera {camera_id}: {_name(listener)}", listener.camera_changed,
                           before, after)
        if any(c.camera is None for c in plan.applied):
            for stage in self.stages:
                self._step(failures, f"site: {stage.name}", stage.site_changed)
        return failures

    def add_camera(self, camera: CameraConfig) -> None:
        self.ctx.hub.add_camera(camera)
        for listener in self.listeners():
            listener.camera_added(camera)

    def remove_camera(self, camera_id: str) -> None:
        # Consumers first, so none of them reads a closing stream.
        for listener in reversed(self.listeners()):
            try:
                listener.camera_removed(camera_id)
            except Exception:
                log.exception("camera %s: %s failed to stop it", camera_id, _name(listener))
        self.ctx.hub.remove_camera(camera_id)

    def restart_camera(self, camera: CameraConfig) -> None:
        self.remove_camera(camera.id)
        self.add_camera(camera)

    @staticmethod
    def _step(failures: list[str], what: str, func: Callable[..., object], *args: object) -> None:
        try:
            func(*args)
        except Exception as exc:
            log.exception("config apply: %s failed", what)
            failures.append(f"{what} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                            if str(exc) else f"{what} failed: {type(exc).__name__}")


def _name(listener: object) -> str:
    return str(getattr(listener, "name", type(listener).__name__))


def build_runtime(config_dir: Path, *, watch: bool = True) -> Runtime:
    config = load_config(config_dir)  # raises ConfigInvalid when wawai.yaml is unusable
    upgrade(config.database_url)
    register_cameras(config.cameras)  # the outbox's camera facts for producers that hold no config
    section = config.site.cluster
    sessions = make_sessionmaker(config.database_url if section is None
                                 else cluster_engine(config.database_url, section.lease_seconds))
    bus = EventBus() if section is None else NatsBus(section.nats_url, node_name(section))
    # A cluster node's hub starts empty: the coordinator adds the cameras placed here.
    boot = config if section is None else dataclasses.replace(config, cameras={})
    hub = camera_ingest.create_hub(boot, bus)
    ctx = StageContext(config=config, hub=hub, bus=bus, sessions=sessions, starts_cameras=section is None)
    member = ClusterMember(config, sessions, bus, ctx.services) if section is not None else None
    if isinstance(bus, NatsBus):
        bus.start()  # connects in the background; local events flow at once
    stages: list[Stage] = [recorder.create_stage(ctx), analytics.create_stage(ctx), HealthSampler(ctx)]
    ctx.services[STAGES_SERVICE] = stages
    runtime = Runtime(ctx=ctx, stages=stages, integrations=create_integrations(ctx), cluster=member)
    if member is not None:
        member.attach(runtime, lambda: runtime.ctx.config, hub)
    reloader = ConfigReloader(ctx, config_dir, runtime.apply)
    ctx.services[CONFIG_SERVICE] = reloader
    runtime.reloader = reloader
    if watch and config.site.reload.watch:
        runtime.watcher = ConfigWatcher(config_dir, lambda: reloader.request("watch"),
                                        force_polling=config.site.reload.force_polling or None)
    log.info("config %s: %d cameras, stages: %s", config_dir, len(config.cameras),
             ", ".join(stage.name for stage in stages) or "none")
    return runtime
