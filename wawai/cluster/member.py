"""A real node's part in the cluster: the coordinator wired to the runtime's start and stop of cameras.

With ``site.cluster`` set the runtime builds one ``ClusterMember``. The node boots with no camera; the
coordinator's ``on_start(fence)`` registers the camera's fence (wawai.cluster.camera_fences) and then
starts the camera through the runtime, ``on_stop`` stops it and then drops the fence (so the last
segment a stopping recorder writes still carries it). A node without the ``record`` role only keeps its
lease: it runs no camera and serves the UI, API and WebSocket for all of them (``RemoteStatus`` holds
the owners' camera status). A write refused for a stale fence stops that camera here (``give_up``).

Hot reload: ``cameras_changed`` hands the new camera list to the coordinator; its next round claims new
cameras placed here and releases removed ones. Cameras only ever start where they are placed.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from wawai.bus import EventBus
from wawai.cluster import ownership
from wawai.cluster.camera_fences import FENCES_SERVICE, CameraFences
from wawai.cluster.coordinator import Coordinator, CoordinatorThread
from wawai.cluster.fencing import Fence
from wawai.cluster.leases import NodeInfo
from wawai.cluster.remote_status import REMOTE_STATUS_SERVICE, RemoteStatus
from wawai.cluster.reporting import CameraMove, ClusterReporter
from wawai.config.model import WawaiConfig
from wawai.config.schema import CameraConfig, ClusterSection
from wawai.hub import StreamHub

log = logging.getLogger(__name__)


class CameraRunner(Protocol):
    """What the member needs of the runtime (wawai.runtime.Runtime)."""

    def add_camera(self, camera: CameraConfig) -> None: ...

    def remove_camera(self, camera_id: str) -> None: ...


def node_name(section: ClusterSection) -> str:
    return section.node or socket.gethostname().split(".")[0].lower()


def node_info(config: WawaiConfig, section: ClusterSection) -> NodeInfo:
    web = config.site.web
    advertise = section.advertise_url or f"http://{web.host}:{web.port}"
    return NodeInfo(node_name(section), tuple(section.roles), section.capacity, advertise)


class ClusterMember:
    def __init__(self, config: WawaiConfig, sessions: sessionmaker[Session], bus: EventBus,
                 services: dict[str, object]) -> None:
        section = config.site.cluster
        assert section is not None, "a cluster member needs site.cluster"
        self.info = node_info(config, section)
        self.sessions = sessions
        self.config = config
        self.runner: CameraRunner | None = None  # the runtime, once built (attach)
        self.hub: StreamHub | None = None
        self._current_config: Callable[[], WawaiConfig] = lambda: config
        self.fences = CameraFences(self.info.name, on_refused=self.give_up)
        self.coordinator = Coordinator(sessions, self.info, config.cameras,
                                       lease_seconds=section.lease_seconds,
                                       on_start=self._start_camera, on_stop=self._stop_camera)
        self.thread = CoordinatorThread(self.coordinator)
        self.reporter = ClusterReporter(sessions, bus, self.info.name, period=section.lease_seconds / 3)
        self.bus = bus
        self.remote = RemoteStatus(bus, on_node_joined=self.announce_cameras)
        self._camera_lock = threading.Lock()  # one start or stop at a time (coordinator or refusal)
        services[FENCES_SERVICE] = self.fences
        services[REMOTE_STATUS_SERVICE] = self.remote

    @property
    def records(self) -> bool:
        return "record" in self.info.roles

    def attach(self, runner: CameraRunner, current_config: Callable[[], WawaiConfig], hub: StreamHub) -> None:
        self.runner = runner
        self._current_config = current_config
        self.hub = hub

    def announce_cameras(self) -> None:
        """Publish the status of every camera running here (a node joined: it has heard none yet)."""
        if self.hub is None:
            return
        for camera_id in self.fences.cameras():
            try:
                status = self.hub.status(camera_id)
            except KeyError:  # stopped meanwhile
                continue
            self.bus.publish({"type": "camera.status", "camera": camera_id, **status.to_json()})

    def start(self) -> None:
        self.remote.start()
        self.reporter.start()
        self.thread.start()
        log.info("cluster: node %s (%s), capacity %d, lease %g s", self.info.name, ", ".join(self.info.roles),
                 self.info.capacity, self.coordinator.lease_seconds)

    def stop(self) -> None:
        """Leave: stop and release every camera, end the lease (the others take over at once)."""
        self.thread.stop(leave=True)
        self.reporter.stop()
        self.remote.stop()

    # --- cameras ---------------------------------------------------------------------------------

    def runs_here(self, camera_id: str) -> bool:
        return self.fences.get(camera_id) is not None

    def cameras_changed(self, camera_ids: Iterable[str]) -> None:
        """The config's cameras changed (hot reload): the coordinator places the new list from now on."""
        ids = sorted(set(camera_ids))
        if self.records:
            with self.sessions() as session:
                ownership.ensure_cameras(session, ids)  # a camera new to the cluster needs its row
        self.coordinator.set_cameras(ids)
        if self.records:
            self.coordinator.rebalance()  # at once rather than at the next round

    def give_up(self, camera_id: str) -> None:
        """A write for the camera was refused: stop it here (the coordinator forgets it)."""
        self.coordinator.give_up(camera_id, "refused")

    def _start_camera(self, fence: Fence) -> None:
        camera = self._current_config().cameras.get(fence.camera_id)
        if camera is None or self.runner is None:
            log.warning("cluster: camera %s placed here but not in this node's config", fence.camera_id)
            return
        with self._camera_lock:
            self.fences.set(fence)
            try:
                self.runner.add_camera(camera)
            except Exception:
                self.fences.drop(fence.camera_id)
                raise
        log.info("cluster: camera %s starts here (epoch %d)", fence.camera_id, fence.epoch)
        self.reporter.camera_moved(CameraMove(fence.camera_id, self.info.name, fence.epoch, "claimed"))

    def _stop_camera(self, camera_id: str, reason: str) -> None:
        fence = self.fences.get(camera_id)
        with self._camera_lock:
            try:
                if self.runner is not None and fence is not None:
                    self.runner.remove_camera(camera_id)
            finally:
                self.fences.drop(camera_id)  # after the stop: the last segment still carries the fence
        log.info("cluster: camera %s stopped here (%s)", camera_id, reason)
        self.reporter.camera_moved(CameraMove(camera_id, self.info.name, fence.epoch if fence else None,
                                              "released", reason))
