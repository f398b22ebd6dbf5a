"""The fences of the cameras a cluster node runs, for the stages' writes (``ctx.services[FENCES_SERVICE]``).

The coordinator registers a camera's fence before the runtime starts the camera and drops it after the
camera has stopped, so every row a stage writes for it (segments, gaps, incidents, health samples)
carries the epoch it was made under. A single node has no registry: ``fence_for`` answers None and the
stages write unfenced, as they always did.

On a cluster node a camera without a fence is not ours: ``fence_for`` raises ``NotOwned`` (a
``StaleOwnership``) rather than answering None, so nothing is ever written unfenced there. A refused
write is reported with ``refused``: one log line per fence, and the camera is stopped locally, from a
thread of its own (the refusal usually comes from the camera's own thread, which the stop joins).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from wawai.cluster.fencing import Fence, StaleOwnership

log = logging.getLogger(__name__)

FENCES_SERVICE = "camera_fences"


class NotOwned(StaleOwnership):
    """A write for a camera this cluster node does not own (never started here, or already stopped)."""

    def __init__(self, camera_id: str, node: str) -> None:
        Exception.__init__(self, f"write for camera {camera_id!r} refused: node {node!r} does not own it")
        self.camera_id = camera_id
        self.fence = None  # there is no fence to name


class CameraFences:
    """Camera id -> the fence its writes carry, on one cluster node."""

    def __init__(self, node: str, on_refused: Callable[[str], None] | None = None) -> None:
        self.node = node
        self.on_refused = on_refused  # stops the camera locally (the node wires it to its coordinator)
        self.refusals = 0
        self._lock = threading.Lock()
        self._fences: dict[str, Fence] = {}
        self._reported: set[tuple[str, int]] = set()  # (camera, epoch) already logged and stopped

    def set(self, fence: Fence) -> None:
        with self._lock:
            self._fences[fence.camera_id] = fence

    def drop(self, camera_id: str) -> None:
        with self._lock:
            self._fences.pop(camera_id, None)

    def get(self, camera_id: str) -> Fence | None:
        with self._lock:
            return self._fences.get(camera_id)

    def fence(self, camera_id: str) -> Fence:
        """The fence for a write of ``camera_id``; NotOwned when this node does not run the camera."""
        fence = self.get(camera_id)
        if fence is None:
            raise NotOwned(camera_id, self.node)
        return fence

    def cameras(self) -> list[str]:
        with self._lock:
            return sorted(self._fences)

    def refused(self, camera_id: str, error: StaleOwnership, what: str) -> None:
        """A write of ``what`` for the camera was refused: log it once per fence, stop the camera here."""
        fence = error.fence
        key = (camera_id, fence.epoch if fence is not None else -1)
        with self._lock:
            self.refusals += 1
            first = key not in self._reported
            self._reported.add(key)
            current = self._fences.get(camera_id)
            stop = first and current is not None and (fence is None or current == fence)
        if first:
            log.warning("cluster: %s; %s dropped, camera stopped on this node", error, what)
        if stop and self.on_refused is not None:
            threading.Thread(target=self.on_refused, args=(camera_id,), name=f"fence-stop-{camera_id}",
                             daemon=True).start()


def fences_of(services: Mapping[str, Any]) -> CameraFences | None:
    """The node's registry; None on a single node."""
    registry = services.get(FENCES_SERVICE)
    return registry if isinstance(registry, CameraFences) else None


def fence_for(services: Mapping[str, Any], camera_id: str) -> Fence | None:
    """The fence a write for ``camera_id`` must carry: None on a single node; NotOwned on a cluster node
    that does not run the camera."""
    registry = fences_of(services)
    return registry.fence(camera_id) if registry is not None else None
