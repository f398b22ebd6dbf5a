"""One node's part in camera ownership: renew the lease, place, release, claim, start and stop cameras.

Two duties, each every lease/3 seconds on its own schedule (so a slow rebalance never delays a renewal):
- ``renew_lease``: extend the lease; if it had run out, every camera is lost: stop them all and register
  a new life;
- ``rebalance``: read the live record nodes and place every camera (the same answer on every node, see
  placement); stop and release the cameras placed elsewhere (a node that joined, or came back); claim
  the orphans placed here and start them with their fence; stop the cameras the database no longer lists
  as ours (only possible after our lease ran out).

Safety does not depend on either: a watchdog stops every camera once the local deadline passes, the
time the last successful renewal was sent plus the lease, minus a margin. The database set the lease from
a moment after that send, so the node stops before anyone can take its cameras, even when it cannot reach
the database at all. A node that froze (SIGSTOP, a VM pause) notices the deadline on waking and stops
its cameras first; any write it still attempts is refused by its stale fence.

``on_start(fence)`` and ``on_stop(camera_id, reason)`` are the node's hooks into its stages (the runtime
start and stop of cameras); they are called one at a time, from the coordinator's threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from wawai.cluster import leases, ownership
from wawai.cluster.cpu import CpuMeter
from wawai.cluster.fencing import Fence
from wawai.cluster.leases import NodeInfo
from wawai.cluster.placement import place

log = logging.getLogger(__name__)

StartCamera = Callable[[Fence], None]
# camera id, reason: "moved", "released", "lease_lost", "stopping", "refused"
StopCamera = Callable[[str, str], None]

# Stop this long before the lease could run out: room for the stop itself and for clock-rate drift.
SAFETY_MARGIN = 0.2  # fraction of the lease


class Coordinator:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        info: NodeInfo,
        camera_ids: Iterable[str],
        *,
        lease_seconds: float,
        on_start: StartCamera,
        on_stop: StopCamera,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.info = info
        self.camera_ids = sorted(set(camera_ids))
        self.lease_seconds = lease_seconds
        self.on_start = on_start
        self.on_stop = on_stop
        self.clock = clock
        self.incarnation: int | None = None
        self.owned: dict[str, Fence] = {}
        self.deadline = 0.0  # local clock: every camera stops at this moment unless a renewal lands
        # Locks, so that a database call that hangs (a network partition) never holds up the watchdog:
        # _lease and _round serialise each duty and are held across database calls; _state guards owned,
        # incarnation and deadline, held only briefly and around the camera callbacks.
        self._lease = threading.Lock()
        self._round = threading.Lock()
        self._state = threading.RLock()
        self._records = "record" in info.roles
        self.cpu = CpuMeter()  # written with each renewal: GET /api/cluster, wawai cluster status

    @property
    def renew_seconds(self) -> float:
        return self.lease_seconds / 3

    def step(self) -> None:
        """Both duties once (tests drive a coordinator this way; CoordinatorThread runs them apart)."""
        self.renew_lease()
        self.rebalance()

    # --- the lease -------------------------------------------------------------------------------

    def renew_lease(self) -> None:
        """Renew (or first take) the lease; a database error is logged, the watchdog guards safety."""
        with self._lease:
            try:
                self._renew()
            except SQLAlchemyError as exc:
                log.warning("cluster: node %s could not renew its lease (%s); cameras keep running until "
                            "the local deadline", self.info.name, exc.__class__.__name__)
        self.enforce_deadline()

    def _renew(self) -> None:
        self.enforce_deadline()
        sent = self.clock()
        incarnation = self.incarnation
        if incarnation is not None:
            with self.sessions() as session:
                renewed = leases.renew(session, self.info.name, incarnation, self.lease_seconds,
                                       cpu=self.cpu.sample())
            with self._state:
                if renewed and self.incarnation == incarnation:
                    self.deadline = sent + self.lease_seconds * (1 - SAFETY_MARGIN)
                elif not renewed and self.incarnation == incarnation:
                    log.warning("cluster: node %s lost its lease; stopping its cameras and joining again",
                                self.info.name)
                    self._stop_all("lease_lost")
                    self.incarnation = None
        if self.incarnation is None:
            self._register(sent)

    def _register(self, sent: float) -> None:
        with self.sessions() as session:
            incarnation = leases.register(session, self.info, self.lease_seconds, cpu=self.cpu.sample())
            if self._records:
                ownership.ensure_cameras(session, self.camera_ids)
        with self._state:
            self.incarnation = incarnation
            self.deadline = sent + self.lease_seconds * (1 - SAFETY_MARGIN)
        log.info("cluster: node %s joined (life %d)", self.info.name, incarnation)

    # --- placement -------------------------------------------------------------------------------

    def rebalance(self) -> None:
        """Release, claim and drop cameras to match the placement; a database error skips the round."""
        if not self._records or self.incarnation is None:
            return
        with self._round:
            try:
                with self.sessions() as session:
                    nodes = leases.live_nodes(session, role="record")
                placement = place(self.camera_ids, {node.name: node.capacity for node in nodes})
                mine = {camera for camera, node in placement.items() if node == self.info.name}
                self._release_misplaced(mine)
                self._claim(mine)
                self._drop_lost()
            except SQLAlchemyError as exc:
                log.warning("cluster: node %s rebalance failed (%s); next round", self.info.name,
                            exc.__class__.__name__)

    def _release_misplaced(self, mine: set[str]) -> None:
        letting_go: list[Fence] = []
        with self._state:
            for camera_id in sorted(set(self.owned) - mine):
                letting_go.append(self.owned.pop(camera_id))
                self._call_stop(camera_id, "released")  # stop writing first, then let go
        if letting_go:
            with self.sessions() as session:
                ownership.release(session, letting_go)

    def _claim(self, mine: set[str]) -> None:
        incarnation = self.incarnation
        wanted = mine - set(self.owned)
        if not wanted or incarnation is None:
            return
        with self.sessions() as session:
            taken = ownership.claim(session, self.info.name, incarnation, wanted)
        with self._state:
            if self.incarnation != incarnation or self.clock() >= self.deadline:
                return  # this life ended while claiming: the rows name a dead life, orphans again
            for fence in taken:
                self.owned[fence.camera_id] = fence
                try:
                    self.on_start(fence)
                except Exception:
                    log.exception("cluster: starting camera %s failed", fence.camera_id)

    def _drop_lost(self) -> None:
        incarnation = self.incarnation
        if incarnation is None:
            return
        with self.sessions() as session:
            listed = ownership.owned_by(session, self.info.name, incarnation)
        with self._state:
            for camera_id in sorted(self.owned):
                if listed.get(camera_id) != self.owned[camera_id]:
                    del self.owned[camera_id]
                    self._call_stop(camera_id, "moved")

    # --- safety ----------------------------------------------------------------------------------

    def enforce_deadline(self) -> bool:
        """Stop every camera if the local lease deadline has passed; True if it had."""
        with self._state:
            if self.incarnation is None or self.clock() < self.deadline:
                return False
            if self.owned:
                log.warning("cluster: node %s could not renew its lease in time; stopping %d camera(s)",
                            self.info.name, len(self.owned))
            self._stop_all("lease_lost")
            self.incarnation = None  # this life is over: the next round registers a new one
            return True

    def _stop_all(self, reason: str) -> None:
        for camera_id in sorted(self.owned):
            del self.owned[camera_id]
            self._call_stop(camera_id, reason)

    def _call_stop(self, camera_id: str, reason: str) -> None:
        try:
            self.on_stop(camera_id, reason)
        except Exception:
            log.exception("cluster: stopping camera %s failed", camera_id)

    # --- leaving ---------------------------------------------------------------------------------

    def leave(self) -> None:
        """A clean shutdown: stop and release every camera, end the lease (the others take over at once)."""
        with self._lease, self._round:
            with self._state:
                fences = list(self.owned.values())
                incarnation = self.incarnation
                self._stop_all("stopping")
                self.incarnation = None
            try:
                with self.sessions() as session:
                    ownership.release(session, fences)
                    if incarnation is not None:
                        leases.expire(session, self.info.name, incarnation)
            except SQLAlchemyError as exc:
                log.warning("cluster: node %s left without releasing (%s); its cameras move when the "
                            "lease runs out", self.info.name, exc.__class__.__name__)

    # --- changes from the node ---------------------------------------------------------------------

    def set_cameras(self, camera_ids: Iterable[str]) -> None:
        """The site's cameras changed (hot reload); the next rebalance places the new list (the caller
        makes sure every camera has its row: ownership.ensure_cameras)."""
        with self._round:
            self.camera_ids = sorted(set(camera_ids))

    def give_up(self, camera_id: str, reason: str) -> None:
        """Stop a camera this node believed it owned (a write for it was refused); the database's rows
        are left as they are: they already name another owner, or a life of ours that has ended."""
        with self._state:
            if self.owned.pop(camera_id, None) is not None:
                self._call_stop(camera_id, reason)

    def fence_for(self, camera_id: str) -> Fence | None:
        """The fence a write for ``camera_id`` must carry; None when this node does not own it."""
        with self._state:
            return self.owned.get(camera_id)

    def owned_cameras(self) -> dict[str, Fence]:
        with self._state:
            return dict(self.owned)


class CoordinatorThread:
    """Runs a coordinator: lease renewals and rebalancing every lease/3 seconds, each in its own thread on
    a fixed schedule, and a watchdog on the local deadline."""

    WATCHDOG_SECONDS = 0.25

    def __init__(self, coordinator: Coordinator) -> None:
        self.coordinator = coordinator
        self._stopping = threading.Event()
        self._paused = threading.Event()  # tests: a node that stops renewing without leaving
        name = coordinator.info.name
        duties = {"lease": coordinator.renew_lease, "place": coordinator.rebalance}
        self._threads = [
            threading.Thread(target=self._every, args=(duty,), name=f"cluster-{name}-{what}", daemon=True)
            for what, duty in duties.items()
        ]
        self._threads.append(threading.Thread(target=self._run_watchdog, name=f"cluster-{name}-watch",
                                              daemon=True))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, leave: bool = True) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if leave:
            self.coordinator.leave()

    def pause(self) -> None:
        """Stop everything (renewals, rebalancing, the watchdog), as a frozen process would."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def _every(self, duty: Callable[[], None]) -> None:
        period = self.coordinator.renew_seconds
        due = time.monotonic()
        while not self._stopping.is_set():
            if not self._paused.is_set():
                duty()
            due = max(due + period, time.monotonic())  # a fixed schedule; late: at once, then on schedule
            self._stopping.wait(max(0.0, due - time.monotonic()))

    def _run_watchdog(self) -> None:
        while not self._stopping.wait(self.WATCHDOG_SECONDS):
            if not self._paused.is_set():
                self.coordinator.enforce_deadline()
